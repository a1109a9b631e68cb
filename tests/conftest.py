"""Shared test set-up."""

# Mesa's llvmpipe (libLLVM) and triton's own LLVM cannot both load into one process in the
# order render-then-triton: the later `import triton` (which torch._dynamo, hence the first
# torch optimizer, performs) segfaults. Loading triton first is safe, and the render tests
# share a pytest process with the training tests.
try:
    import triton  # noqa: F401 -- imported for its side effect: LLVM load order (above)
except ImportError:  # CPU-only torch builds ship without triton
    pass


def pytest_collection_modifyitems(config, items):
    """The longest tests first: the SLURM cluster's run (mostly waiting on the cluster), then
    those that use the finished ci study. In one process (`-n 0`) they run first; under
    pytest-xdist (`--dist loadfile`, pyproject.toml) this order does not decide which file a
    worker starts with: at 2536ad2 the SLURM file still ran last (docs/performance.md)."""

    def rank(item) -> int:
        if item.get_closest_marker("slurm"):
            return 0
        return 1 if "finished" in getattr(item, "fixturenames", ()) else 2

    items.sort(key=rank)  # stable: each group keeps its collection order
