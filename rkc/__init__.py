"""The application layer: configuration, the working directory and the ``rkc`` command line."""

import os
import sys


def _arrow_allocator_before_pyarrow_loads() -> None:
    """Name jemalloc as Arrow's default allocator, unless the operator named one.

    Arrow's C++ code (the Parquet reader, compute kernels, the CSV writer) allocates from the pool
    that ``ARROW_DEFAULT_MEMORY_POOL`` names, read once when pyarrow loads; ``pa.set_memory_pool``
    later reaches only pyarrow's own conversions. Left to mimalloc, those allocations kept 140-190
    MB resident after the decision step at a million payments, on top of jemalloc's pool, which
    ``rkc.memory`` empties after each step. That is why this runs when the package is imported,
    before anything loads pyarrow. Linux only: the macOS and Windows wheels have no jemalloc.
    """
    if sys.platform == "linux":
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")


_arrow_allocator_before_pyarrow_loads()
