"""Handing freed memory back to the operating system between the night's steps.

The nightly flow runs its steps in one long-lived process. Arrow's allocator keeps freed blocks
for reuse and glibc keeps freed heap pages, so without this the process's resident size after
the decision step (~2 GB at a million payments) stays reserved through posting and the report,
and each step's peak adds to the last one's leftovers instead of starting from the baseline.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa


def return_memory_promptly() -> None:
    """Give Arrow a pool that hands freed memory back to the OS at once: jemalloc with no decay.

    Arrow's default (mimalloc) keeps freed blocks: at a million payments the decision step peaked
    ~300 MB higher and left ~1 GB reserved. The package names jemalloc for Arrow's C++ code too,
    before pyarrow loads (``rkc._arrow_allocator_before_pyarrow_loads``); the decay set here
    reaches all of jemalloc's arenas. A decay of 1 s instead of 0 took a third fewer page faults
    but no time off the night (four runs of each) and ~100 MB more at the peak. Kept as is when
    the operator named another pool in ``ARROW_DEFAULT_MEMORY_POOL`` or when this pyarrow build
    has no jemalloc.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "jemalloc") != "jemalloc":
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # pyarrow built without jemalloc
        return


@contextmanager
def libraries_out_of_the_collector() -> Iterator[None]:
    """Within the block, the garbage collector does not scan the objects that exist on entry.

    Prefect, pydantic, SQLAlchemy and pandas leave ~360,000 objects behind at import; a full
    collection walks them all (~0.25 s), and the night runs one after each task plus the ones
    allocation triggers: 5.7 s of full collections in the nightly flow at a million payments,
    1.2 s with them frozen (``gc.freeze``). They are thawed on exit, so a process that runs many
    flows (the tests) does not keep one run's garbage forever.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def release_memory() -> None:
    """Collect garbage, then return unused memory of Arrow's pool and of the C heap to the OS."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    _malloc_trim()


def _malloc_trim() -> None:
    """glibc's ``malloc_trim(0)``; a no-op where the C library has none (musl, macOS, Windows)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
