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

import pyarrow as pa


def return_memory_promptly() -> None:
    """Give Arrow a pool that hands freed memory back to the OS at once: jemalloc with no decay.

    Arrow's default (mimalloc) keeps freed blocks: at a million payments the decision step peaked
    ~300 MB higher and left ~1 GB reserved. Kept as is when the operator chose a pool with
    ``ARROW_DEFAULT_MEMORY_POOL`` or when this pyarrow build has no jemalloc.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # pyarrow built without jemalloc
        return


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
