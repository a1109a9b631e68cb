#!/usr/bin/env bash
# One entry point for a fresh Debian machine with Python 3.11:
#   bash setup.sh run    install everything, then run the workflow on the default config
#   bash setup.sh test   install everything, then run the test suite
#   bash setup.sh bench  install everything, then write results/bench/*.json
# Idempotent: system packages and the virtual environment are installed only when missing
# or when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")"

SYSTEM_PACKAGES="libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libopengl0"
PYTHON=${PYTHON:-python3.11}

missing=""
for p in $SYSTEM_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing system packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "setup: missing system packages:$missing" >&2
    echo "setup: run as root, or first: sudo apt-get install -y$missing" >&2
    exit 1
  fi
fi

command -v "$PYTHON" >/dev/null || { echo "setup: $PYTHON not found; install Python 3.11 (apt-get install python3.11 python3.11-venv)" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat .venv/.domrand-installed 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the project into .venv (torch is large: a few minutes the first time)"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e '.[test]'
  echo "$want" > .venv/.domrand-installed
fi
export PATH="$PWD/.venv/bin:$PATH"

case "${1:-}" in
  run) shift; python -m domrand.config "$@"; exec snakemake --cores all "$@" ;;
  test) shift; exec pytest "$@" ;;
  bench) shift; exec python -m domrand.tools.bench "$@" ;;
  "") echo "setup: done (use: bash setup.sh run|test|bench)" ;;
  *) echo "usage: bash setup.sh [run|test|bench] [args...]" >&2; exit 2 ;;
esac
