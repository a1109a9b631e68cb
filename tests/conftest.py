"""Shared test set-up."""

# Mesa's llvmpipe (libLLVM) and triton's own LLVM cannot both load into one process in the
# order render-then-triton: the later `import triton` (which torch._dynamo, hence the first
# torch optimizer, performs) segfaults. Loading triton first is safe, and the render tests
# share a pytest process with the training tests.
try:
    import triton  # noqa: F401 -- imported for its side effect: LLVM load order (above)
except ImportError:  # CPU-only torch builds ship without triton
    pass
