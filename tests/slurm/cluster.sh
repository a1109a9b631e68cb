#!/usr/bin/env bash
# A throw-away single-node SLURM cluster for tests (Debian's slurm-wlm + munge).
#
#   tests/slurm/cluster.sh start  STATE_DIR   # install if needed, start, wait until idle
#   tests/slurm/cluster.sh status STATE_DIR   # exit 0 when every daemon is up and the node idle
#   tests/slurm/cluster.sh stop   STATE_DIR   # cancel jobs, stop only the daemons started here
#
# Everything (config, munge key and socket, spool, state, logs, pid files) lives under
# STATE_DIR; daemons get their config with -f, clients through SLURM_CONF and the shims in
# STATE_DIR/bin (see write_shims). Nothing under /etc is written (apt's own files aside).
# STATE_DIR must be reachable by the munge user: put it under /tmp. `start` prints the lines
# a caller must eval (SLURM_CONF and PATH), e.g.
#   eval "$(tests/slurm/cluster.sh start /tmp/slurm)"
# on stdout (also saved as STATE_DIR/env); all progress goes to stderr.
#
# The node is the machine itself, renamed `localhost`, with DOMRAND_SLURM_GPUS fake GPUs
# (default 2, at most 4; gres on /dev/null, /dev/zero, ...), so jobs asking for a GPU are
# schedulable and see CUDA_VISIBLE_DEVICES (a CPU-only torch still runs on the CPU). It advertises at
# least DOMRAND_SLURM_CPUS CPUs (default 8) and DOMRAND_SLURM_MEM_MB MB (default 32768), more
# than a small CI machine has, so that the real profile's requests fit: slurm then
# oversubscribes the real cores; memory is not enforced in this setup.
#
# Watchdog: with DOMRAND_SLURM_WATCH_PID=PID, `start` leaves a small background loop that runs
# `stop` (and, with DOMRAND_SLURM_WATCH_RM=1, deletes STATE_DIR) once process PID has gone,
# so a test runner killed by a CI timeout leaves no daemons behind. `stop` ends it.
#
# Exit codes: 0 ok; 1 failure (message says which); 2 usage; 77 not root; 78 packages missing
# and not installable (no network?). The pytest module skips on 77 and 78.
set -euo pipefail

PACKAGES=(slurmctld slurmd slurm-client munge)
CTLD_PORT=${DOMRAND_SLURMCTLD_PORT:-6817}
SLURMD_PORT=${DOMRAND_SLURMD_PORT:-6818}
MIN_CPUS=${DOMRAND_SLURM_CPUS:-8}
MIN_MEM_MB=${DOMRAND_SLURM_MEM_MB:-32768}
READY_TIMEOUT=${DOMRAND_SLURM_READY_TIMEOUT:-60}
PARTITION=${DOMRAND_SLURM_PARTITION:-local}
GPUS=${DOMRAND_SLURM_GPUS:-2}
FAKE_GPU_FILES=(/dev/null /dev/zero /dev/full /dev/urandom)

log() { echo "cluster.sh: $*" >&2; }
die() { log "ERROR: $*"; exit "${2:-1}"; }
[[ "$GPUS" =~ ^[1-4]$ ]] || die "DOMRAND_SLURM_GPUS must be 1..4, got '$GPUS'"

usage() {
    echo "usage: $0 start|stop|status STATE_DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
ACTION=$1
S=$2
case "$ACTION" in start | stop | status) ;; *) usage ;; esac
[[ "$S" == /* ]] || S="$(pwd)/$S"

CONF="$S/etc/slurm.conf"
MUNGE_DIR="$S/munge"
# munged wants its socket directory world-searchable, its key directory private
MUNGE_SOCKET="$S/munge-socket/munge.socket"
PID_MUNGED="$MUNGE_DIR/munged.pid"
PID_CTLD="$S/run/slurmctld.pid"
PID_SLURMD="$S/run/slurmd.pid"
PID_WATCHDOG="$S/run/watchdog.pid"

# --- helpers -------------------------------------------------------------------------------

# pid from a pid file, only if that process is alive and is the daemon we started (its command
# line names this STATE_DIR), so a recycled pid is never signalled.
our_pid() {
    local pidfile=$1 pid
    [[ -s "$pidfile" ]] || return 1
    pid=$(tr -dc '0-9' <"$pidfile")
    [[ -n "$pid" && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' </proc/"$pid"/cmdline | grep -qF -- "$S/" || return 1
    echo "$pid"
}

stop_daemon() {
    local name=$1 pidfile=$2 pid i
    if pid=$(our_pid "$pidfile"); then
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            [[ -d /proc/$pid ]] || break
            sleep 0.1
        done
        if [[ -d /proc/$pid ]]; then
            log "$name did not stop on SIGTERM, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ports as given, else the first free pair from 6817/6818 up, so that a second test cluster
# (or a real slurm on this machine) does not collide.
pick_ports() {
    local p
    if [[ -n "${DOMRAND_SLURMCTLD_PORT:-}${DOMRAND_SLURMD_PORT:-}" ]]; then
        for p in "$CTLD_PORT" "$SLURMD_PORT"; do
            port_in_use "$p" && die "port $p is in use (another slurm?)"
        done
        return 0
    fi
    for ((p = 6817; p < 6917; p += 2)); do
        if ! port_in_use "$p" && ! port_in_use $((p + 1)); then
            CTLD_PORT=$p
            SLURMD_PORT=$((p + 1))
            return 0
        fi
    done
    die "no free port pair in 6817-6918; set DOMRAND_SLURMCTLD_PORT / DOMRAND_SLURMD_PORT"
}

have_packages() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
        command -v munged >/dev/null && command -v sbatch >/dev/null
}

install_packages() {
    have_packages && return 0
    command -v apt-get >/dev/null || die "slurm/munge missing and no apt-get to install them" 78
    log "installing ${PACKAGES[*]} with apt-get (one-time)"
    export DEBIAN_FRONTEND=noninteractive
    # short network timeouts: without a route to the registry, fail (skip) within minutes;
    # wait for the dpkg lock, another apt may be running (setup.sh installs Mesa)
    local opts=(-q -o Acquire::Retries=1 -o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30
        -o DPkg::Lock::Timeout=300)
    # the package lists may be fresh enough already; else update them and try again
    if ! timeout 900 apt-get install -y "${opts[@]}" "${PACKAGES[@]}" >"$S/log/apt.log" 2>&1; then
        if ! timeout 300 apt-get update "${opts[@]}" >>"$S/log/apt.log" 2>&1 ||
            ! timeout 900 apt-get install -y "${opts[@]}" "${PACKAGES[@]}" >>"$S/log/apt.log" 2>&1; then
            tail -n 5 "$S/log/apt.log" >&2 || true
            die "cannot install ${PACKAGES[*]} with apt-get (no network to the package registry?)" 78
        fi
    fi
    have_packages || die "apt-get ran but slurm/munge binaries are still missing" 78
}

# NodeName line: slurmd -C, renamed to localhost, CPUs/memory raised to the advertised minimum.
node_line() {
    local line cpus mem
    line=$(slurmd -C | head -n 1)
    [[ "$line" == NodeName=* ]] || die "unexpected 'slurmd -C' output: $line"
    cpus=$(sed -n 's/.*\bCPUs=\([0-9]*\).*/\1/p' <<<"$line")
    mem=$(sed -n 's/.*\bRealMemory=\([0-9]*\).*/\1/p' <<<"$line")
    if ((cpus < MIN_CPUS)); then
        # one socket, one thread per core: CPUs = CoresPerSocket
        line=$(sed -E "s/\bCPUs=[0-9]+/CPUs=$MIN_CPUS/; s/\bBoards=[0-9]+/Boards=1/;
            s/\bSocketsPerBoard=[0-9]+/SocketsPerBoard=1/;
            s/\bCoresPerSocket=[0-9]+/CoresPerSocket=$MIN_CPUS/;
            s/\bThreadsPerCore=[0-9]+/ThreadsPerCore=1/" <<<"$line")
    fi
    if ((mem < MIN_MEM_MB)); then
        line=$(sed -E "s/\bRealMemory=[0-9]+/RealMemory=$MIN_MEM_MB/" <<<"$line")
    fi
    line=$(sed -E 's/^NodeName=[^ ]+/NodeName=localhost NodeAddr=127.0.0.1/' <<<"$line")
    echo "$line Gres=gpu:$GPUS State=UNKNOWN"
}

write_config() {
    cat >"$CONF" <<EOF
# generated by tests/slurm/cluster.sh: a single-node test cluster, state under $S
ClusterName=domrand-test
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$S/ctld
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$PID_CTLD
SlurmdPidFile=$PID_SLURMD
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
PlugStackConfig=$S/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
# no binding: the node may advertise more CPUs than exist (SlurmdParameters below)
TaskPlugin=task/none
SlurmdParameters=config_overrides
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# without it a job with no --mem takes the whole node
DefMemPerCPU=1000
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# finished jobs stay visible to squeue this long (the snakemake plugin polls with squeue)
MinJobAge=3600
ReturnToService=2
MailProg=/bin/true
SchedulerType=sched/backfill
GresTypes=gpu
$(node_line)
PartitionName=$PARTITION Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    # fake GPUs: slurm only needs a device file per GPU; jobs get CUDA_VISIBLE_DEVICES
    local i
    : >"$S/etc/gres.conf"
    for ((i = 0; i < GPUS; i++)); do
        echo "NodeName=localhost Name=gpu File=${FAKE_GPU_FILES[$i]}" >>"$S/etc/gres.conf"
    done
    : >"$S/etc/plugstack.conf"
}

start_munge() {
    if our_pid "$PID_MUNGED" >/dev/null; then
        log "munged already running"
        return 0
    fi
    install -d -o munge -g munge -m 0700 "$MUNGE_DIR"
    install -d -o munge -g munge -m 0755 "$(dirname "$MUNGE_SOCKET")"
    runuser -u munge -- test -x "$MUNGE_DIR" ||
        die "user munge cannot reach $MUNGE_DIR: every parent of STATE_DIR must be world-searchable (o+x)"
    if [[ ! -s "$MUNGE_DIR/munge.key" ]]; then
        mungekey --create --force --keyfile="$MUNGE_DIR/munge.key"
    fi
    chown munge:munge "$MUNGE_DIR/munge.key"
    chmod 0400 "$MUNGE_DIR/munge.key"
    runuser -u munge -- /usr/sbin/munged \
        --socket="$MUNGE_SOCKET" --key-file="$MUNGE_DIR/munge.key" \
        --pid-file="$PID_MUNGED" --log-file="$MUNGE_DIR/munged.log" \
        --seed-file="$MUNGE_DIR/munged.seed" ||
        die "munged failed to start; see $MUNGE_DIR/munged.log"
    local i
    for ((i = 0; i < 50; i++)); do
        if munge -n --socket="$MUNGE_SOCKET" 2>/dev/null | unmunge --socket="$MUNGE_SOCKET" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    die "munge is not answering on $MUNGE_SOCKET; see $MUNGE_DIR/munged.log"
}

is_ready() {
    timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP' &&
        [[ "$(timeout 10 sinfo -h -n localhost -o %T 2>/dev/null)" == idle ]]
}

wait_ready() {
    local deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        is_ready && return 0
        sleep 0.5
    done
    log "cluster not ready after ${READY_TIMEOUT}s"
    log "scontrol ping: $(timeout 10 scontrol ping 2>&1 | tr '\n' ' ')"
    log "node: $(timeout 10 scontrol show node localhost 2>&1 | grep -E 'State=|Reason=' | tr '\n' ' ')"
    for f in "$S/log/slurmctld.log" "$S/log/slurmd.log"; do
        [[ -f "$f" ]] && { log "--- tail $f"; tail -n 15 "$f" >&2; }
    done
    return 1
}

# The slurm-jobstep executor strips every SLURM_* variable, SLURM_CONF included, from the
# environment of the srun it runs inside a job; on a real cluster that srun then reads
# /etc/slurm/slurm.conf. Here a shim on PATH (exported into jobs by sbatch --export=ALL)
# puts SLURM_CONF back, so nothing under /etc is needed.
write_shims() {
    mkdir -p "$S/bin"
    local tool real
    for tool in srun sbatch salloc squeue scancel sinfo scontrol sacct; do
        real=$(command -v "$tool") || continue
        [[ "$real" == "$S/bin/"* ]] && continue
        printf '#!/bin/sh\nSLURM_CONF=%s\nexport SLURM_CONF\nexec %s "$@"\n' "$CONF" "$real" >"$S/bin/$tool"
        chmod 0755 "$S/bin/$tool"
    done
}

print_env() {
    {
        echo "export SLURM_CONF=$CONF"
        echo "export PATH=$S/bin:\$PATH"
    } | tee "$S/env"
}

# Stops the cluster once process $1 has gone. Detached (setsid, no inherited stdio) so that a
# caller waiting on start's output is not held up.
start_watchdog() {
    local watched=$1 self
    [[ "$watched" =~ ^[0-9]+$ ]] || die "DOMRAND_SLURM_WATCH_PID must be a pid, got '$watched'"
    self=$(readlink -f "$0")
    stop_daemon watchdog "$PID_WATCHDOG"
    setsid bash -c 'echo $$ >"$3"; while kill -0 "$1" 2>/dev/null; do sleep 2; done
        DOMRAND_SLURM_IN_WATCHDOG=1 bash "$4" stop "$2" >>"$2/log/watchdog.log" 2>&1
        if [[ "$5" == 1 ]]; then rm -rf -- "$2"; fi' \
        watchdog "$watched" "$S" "$PID_WATCHDOG" "$self" "${DOMRAND_SLURM_WATCH_RM:-0}" \
        </dev/null >/dev/null 2>&1 &
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -s "$PID_WATCHDOG" ]] && break
        sleep 0.1
    done
    log "watchdog $(cat "$PID_WATCHDOG" 2>/dev/null) stops the cluster when pid $watched exits"
}

# --- actions -------------------------------------------------------------------------------

do_start() {
    [[ "$(id -u)" -eq 0 ]] || die "must run as root (installs packages, runs munged/slurmd); got uid $(id -u)" 77
    mkdir -p "$S"
    chmod 0755 "$S"
    mkdir -p "$S/etc" "$S/ctld" "$S/spool" "$S/log" "$S/run"
    install_packages
    export SLURM_CONF="$CONF"

    if our_pid "$PID_CTLD" >/dev/null && our_pid "$PID_SLURMD" >/dev/null && is_ready; then
        log "already running"
        print_env
        return 0
    fi
    # leftovers of an earlier, half-finished start in this STATE_DIR
    do_stop_daemons 2>/dev/null
    pick_ports

    write_config
    write_shims
    start_munge
    trap 'log "start failed, stopping what was started"; do_stop_daemons' ERR
    if ! our_pid "$PID_CTLD" >/dev/null; then
        slurmctld -c -f "$CONF" || { do_stop_daemons; die "slurmctld failed; see $S/log/slurmctld.log"; }
    fi
    if ! our_pid "$PID_SLURMD" >/dev/null; then
        slurmd -N localhost -f "$CONF" || { do_stop_daemons; die "slurmd failed; see $S/log/slurmd.log"; }
    fi
    if ! wait_ready; then
        do_stop_daemons
        die "cluster did not become ready"
    fi
    trap - ERR
    if [[ -n "${DOMRAND_SLURM_WATCH_PID:-}" ]]; then
        start_watchdog "$DOMRAND_SLURM_WATCH_PID"
    fi
    log "ready: partition '$PARTITION', node localhost ($(sinfo -h -n localhost -o '%c CPUs, %m MB, gres %G'))"
    print_env
}

do_stop_daemons() {
    export SLURM_CONF="$CONF"
    if our_pid "$PID_CTLD" >/dev/null; then
        # end running jobs first so no slurmstepd outlives slurmd
        local ids i
        ids=$(timeout 10 squeue -h -t PENDING,RUNNING,CONFIGURING,COMPLETING -o %i 2>/dev/null || true)
        if [[ -n "$ids" ]]; then
            log "cancelling jobs: $(echo $ids)"
            # shellcheck disable=SC2086
            timeout 10 scancel $ids 2>/dev/null || true
            for ((i = 0; i < 60; i++)); do
                [[ -z "$(timeout 10 squeue -h -t PENDING,RUNNING,CONFIGURING,COMPLETING -o %i 2>/dev/null)" ]] && break
                sleep 0.5
            done
        fi
    fi
    stop_daemon slurmd "$PID_SLURMD"
    stop_daemon slurmctld "$PID_CTLD"
    stop_daemon munged "$PID_MUNGED"
}

do_stop() {
    [[ -d "$S" ]] || { log "no state dir $S: nothing to stop"; return 0; }
    do_stop_daemons
    [[ -n "${DOMRAND_SLURM_IN_WATCHDOG:-}" ]] || stop_daemon watchdog "$PID_WATCHDOG"
    log "stopped"
}

do_status() {
    local ok=0 name pidfile pid
    for name in munged slurmctld slurmd; do
        case $name in
            munged) pidfile=$PID_MUNGED ;;
            slurmctld) pidfile=$PID_CTLD ;;
            slurmd) pidfile=$PID_SLURMD ;;
        esac
        if pid=$(our_pid "$pidfile"); then
            echo "$name: running (pid $pid)"
        else
            echo "$name: not running"
            ok=1
        fi
    done
    if ((ok == 0)); then
        export SLURM_CONF="$CONF"
        echo "node: $(timeout 10 sinfo -h -n localhost -o '%T %c CPUs %m MB %G' 2>&1)"
        is_ready || ok=1
    fi
    return $ok
}

case "$ACTION" in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
esac
