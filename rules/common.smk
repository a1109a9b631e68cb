# Snakemake glue over the study's plan (domrand.plan, paths from domrand.paths): wildcard
# constraints, input functions and params that pass a job's wildcards to the plan, the
# checkpoints' choices, the lock file and code digests. Each rule's params carry exactly the
# slice of the config it depends on, so reruns are exact.
from domrand.assets.lock import config_downloads, lock_path, read_lock, resolve_download
from domrand.data.sources import check_source_classes
from domrand.digest import code_digest
from domrand.figures.best import read_best_variant
from domrand.figures.search_rounds import read_kept, read_pick
from domrand import paths
from domrand.paths import BEST_TABLE
from domrand.plan import BEST, FIGURE_ARCH, FIGURE_TASK, Plan, variant_dataset
from domrand.search import TARGET, VALIDATION
from domrand.train.weights import PACKAGED_WEIGHTS

check_source_classes(config)  # DomainNet class names, before any job
PLAN = Plan(config)
# Downloads (rules/assets.smk), their sha256 pins and pinned objects from the lock file.
LOCK = read_lock(lock_path(config, workflow.basedir))
DOWNLOADS = config_downloads(config)
ASSETS = [n for n, (key, _) in DOWNLOADS.items() if key.startswith("downloads.")]


def library_code(script):
    """Digest of the library modules the rule's script runs (its domrand imports, followed
    transitively): in a rule's params, an edit to one of them reruns the rule's jobs."""
    return code_digest(f"{workflow.basedir}/workflow/scripts/{script}.py")


def _alternatives(names):
    return "|".join(sorted(map(str, names), key=len, reverse=True))


wildcard_constraints:
    variant=_alternatives([*PLAN.variants, *PLAN.breed_variants, *PLAN.search_variants]),
    domain=_alternatives(
        [*PLAN.domains, *(d for d in PLAN.search_rendered if d == VALIDATION)]
    ),
    dataset=_alternatives([*PLAN.datasets, *PLAN.search_datasets, VALIDATION]),
    cls=_alternatives(config["world"]["classes"]),
    arch=_alternatives(PLAN.archs),
    task=_alternatives(PLAN.tasks),
    seed=r"\d+",
    shard=r"\d+",
    testset=_alternatives(PLAN.testsets),
    pool=_alternatives(PLAN.subject_pools),


# Input functions and params of one job: its wildcards passed to the plan.
def shard_dirs(w):
    return PLAN.shard_dirs(w.dataset, w.cls)


def generator_of_variant(w):
    return PLAN.generator(variant_dataset(w.variant))


def generator_of_domain(w):
    return PLAN.domain_generator(w.domain)


def generator_of_pool(w):
    return PLAN.pool_generator(w.pool)


def render_of_variant(w):
    return PLAN.render_slice(variant_dataset(w.variant))


def render_of_domain(w):
    return PLAN.render_slice(w.domain)


def subject_shards(w):
    return PLAN.subject_shards(w.pool)


def gather_params(w):
    return PLAN.gather_params(w.dataset)


def select_params(w):
    return PLAN.select_params(w.dataset)


def source_params(w):
    return PLAN.source_params(w.domain, w.source)


def source_downloads(w):
    return PLAN.source_downloads(w.domain, w.source)


def class_source_index(w):
    return PLAN.class_source_index(w.dataset, w.cls)


def validation_source_index(w):
    return PLAN.class_source_index(TARGET, w.cls)


def balance_inputs(w):
    return PLAN.balance_inputs(w.dataset, w.task)


def train_params(w):
    return PLAN.train_params(w.dataset, w.task, w.arch, w.seed)


def train_features(w):
    return PLAN.task_files("features", w.dataset, w.task)


def monitor_features(w):
    return PLAN.task_files("features", "real", w.task)


def train_indexes(w):
    return PLAN.task_files("indexes", w.dataset, w.task)


def monitor_indexes(w):
    return PLAN.task_files("indexes", "real", w.task)


def checkpoint_path(w):
    return paths.path(
        "checkpoint", dataset=w.dataset, task=w.task, arch=w.arch, seed=w.seed
    )


def test_indexes(w):
    return PLAN.test_indexes(w.testset, w.task)


def test_features(w):
    return PLAN.test_features(w.testset, w.task, w.arch)


def eval_params(w):
    return PLAN.eval_params(w.testset, w.task, w.arch)


def realism_indexes(w):
    return PLAN.realism_indexes(w.dataset)


def heatmap_model(w):
    return PLAN.heatmap_model(w.dataset)


def heatmap_test_indexes(w):
    return PLAN.heatmap_test_indexes(w.testset)


def head_features(w):
    return PLAN.head_features(w.head)


def head_params(w):
    return PLAN.head_params(w.head, w.seed)


def search_head_features(w):
    return PLAN.search_head_features(w.entry, int(w.round))


def search_head_params(w):
    return PLAN.search_head_params(w.entry, int(w.round))


# Downloads: the lock file's pins and objects.
def download_spec(w):
    """The download's config entry, with its sha256 from the lock file when the entry has none."""
    key, entry = DOWNLOADS[w.asset]
    return resolve_download(w.asset, entry, LOCK, key, config.get("lock"))


def objaverse_objects(w):
    """The class's pinned Objaverse objects from the lock file (None: not pinned yet)."""
    return LOCK["objects"].get(f"objaverse/{w.cls}")


def weights_asset(w=None):
    return config["model"]["weights"]


# Checkpoints: what follows them reads their choice once they have run.
def figure_model(fig):
    """The synthetic-trained dataset of figure `fig`: figures.models.<fig>, or for `best` the
    variant checkpoint choose_best_variant chose from figure 4 (read once it has run).
    """
    model = PLAN.figure_model(fig)
    if model != BEST:
        return model
    return read_best_variant(checkpoints.choose_best_variant.get().output.table)


def figure_model_note(fig):
    """How a figure's title names its synthetic model."""
    return PLAN.figure_model_note(fig, figure_model(fig))


def search_round2_heads(w=None):
    """Round 2's heads: the entries round 1 kept (read once its checkpoint has run)."""
    return PLAN.search_heads(2, read_kept(checkpoints.search_round1.get().output.table))


def fig13_predictions(w=None):
    """Real-test predictions of figure 4's variants and the search's pick (read once round
    2's checkpoint has run)."""
    pick = read_pick(checkpoints.search_round2.get().output.table)
    return PLAN.fig13_predictions(variant_dataset(pick))
