"""Shared test set-up."""

import pytest

# Mesa's llvmpipe (libLLVM) and triton's own LLVM cannot both load into one process in the
# order render-then-triton: the later `import triton` (which torch._dynamo, hence the first
# torch optimizer, performs) segfaults. Loading triton first is safe, and the render tests
# share a pytest process with the training tests.
try:
    import triton  # noqa: F401 -- imported for its side effect: LLVM load order (above)
except ImportError:  # CPU-only torch builds ship without triton
    pass

# Files whose tests share nothing but session fixtures, and take long: pytest-xdist hands them
# out one test at a time. Every other file goes to one worker whole, with its module fixtures.
SPREAD = {"tests/workflow/test_reruns.py", "tests/workflow/test_workflow.py"}


def pytest_collection_modifyitems(config, items):
    """The longest tests first: the SLURM cluster's run (mostly waiting on the cluster), then
    those that use the finished ci study. The workers take them in this order too
    (`--no-loadscope-reorder`, pyproject.toml): one starts the cluster while another makes the
    study."""

    def rank(item) -> int:
        if item.get_closest_marker("slurm"):
            return 0
        return 1 if "finished" in getattr(item, "fixturenames", ()) else 2

    items.sort(key=rank)  # stable: each file keeps its collection order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's file-by-file scheduling (`--dist loadfile`), but the tests of SPREAD one by
    one. (Its `loadgroup` would do this with marks, but cannot rename test ids in pytest 9.2.)
    Another `--dist` given on the command line gets xdist's own scheduler."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FilesButSpread(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path in SPREAD else path

    return FilesButSpread(config, log)
