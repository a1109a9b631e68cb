"""Shared test set-up."""

# Mesa's llvmpipe (libLLVM) and triton's own LLVM cannot both load into one process in the
# order render-then-triton: the later `import triton` (which torch._dynamo, hence the first
# torch optimizer, performs) segfaults. Loading triton first is safe, and the render tests
# share a pytest process with the training tests.
try:
    import triton  # noqa: F401
except ImportError:  # CPU-only torch builds ship without triton
    pass


def pytest_collection_modifyitems(config, items):
    """The local SLURM cluster test installs and starts daemons; it runs when asked
    (DOMRAND_TEST_SLURM=1, as root) until it has been proven stable on CI machines."""
    import os

    import pytest

    if os.environ.get("DOMRAND_TEST_SLURM") == "1":
        return
    skip = pytest.mark.skip(reason="SLURM cluster test is opt-in: set DOMRAND_TEST_SLURM=1 (root)")
    for item in items:
        if "slurm" in item.keywords:
            item.add_marker(skip)
