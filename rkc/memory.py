"""Arrow's allocator and handing freed memory back to the operating system between the night's steps.

The nightly flow runs its steps in one long-lived process. Arrow's allocator keeps freed blocks
for reuse and glibc keeps freed heap pages, so without this the process's resident size after
the decision step stays reserved through posting and the report, and each step's peak adds to
the last one's leftovers instead of starting from the baseline (docs/PERFORMANCE.md, «Nightly
flow end to end»).

Short-lived workers that stream a large input (the statements' ranges) do the opposite: they keep
what they free for the next batch (``children_keep_freed_memory``, ``keep_freed_memory``).

Importing this module does nothing and loads no pyarrow: the entry points call
``name_arrow_allocator`` first, before anything loads pyarrow.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def name_arrow_allocator() -> None:
    """Name jemalloc as Arrow's default allocator, unless the operator named one.

    Arrow's C++ code (the Parquet reader, compute kernels, the CSV writer) allocates from the pool
    that ``ARROW_DEFAULT_MEMORY_POOL`` names, read once when pyarrow loads; ``pa.set_memory_pool``
    later reaches only pyarrow's own conversions, and mimalloc kept freed regions resident. So the
    entry points (the ``rkc`` console script, the ``flows`` package, the tests' conftest) call this
    before anything imports pyarrow; a deployment names it in its environment (prefect.yaml).
    Linux only: the macOS and Windows wheels have no jemalloc.
    """
    if sys.platform == "linux":
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")


def return_memory_promptly() -> None:
    """Give Arrow a pool that hands freed memory back to the OS at once: jemalloc with no decay.

    Arrow's default (mimalloc) keeps freed blocks, which raised the night's peak and kept memory
    reserved after it. ``name_arrow_allocator`` names jemalloc for Arrow's C++ code too, before
    pyarrow loads; the decay set here reaches all of jemalloc's arenas (a longer decay saved no
    time and raised the peak: docs/PERFORMANCE.md). Kept as is when the operator named another
    pool in ``ARROW_DEFAULT_MEMORY_POOL`` or when this pyarrow build has no jemalloc.
    """
    import pyarrow as pa

    map_large_blocks()
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "jemalloc") != "jemalloc":
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # pyarrow built without jemalloc
        return


_freeze_lock = threading.Lock()
_frozen_blocks = 0  # blocks of libraries_out_of_the_collector open in this process


@contextmanager
def libraries_out_of_the_collector() -> Iterator[None]:
    """Within the block, the garbage collector does not scan the objects that existed when the
    outermost open block was entered.

    Prefect, pydantic, SQLAlchemy and pandas leave hundreds of thousands of objects behind at
    import, and every full collection of the night walks them all (docs/PERFORMANCE.md, «The
    garbage collector»); frozen (``gc.freeze``), they are skipped. They are thawed when the last
    open block ends, so a process that runs many flows (the tests) does not keep one run's garbage
    forever.

    No collection first: a night's process holds about a thousand objects of garbage when it starts,
    frozen with the rest until the block ends, while a full collection cost 0.17 s there and
    ~0.4 s a night in a test worker's larger heap (docs/PERFORMANCE.md «Session 20: the suite»).

    Blocks nest, in one thread or several (a charges import inside a night's process): the first
    to enter freezes, the last to leave thaws, so an inner block's end does not thaw the outer's.
    """
    global _frozen_blocks
    with _freeze_lock:
        if _frozen_blocks == 0:
            gc.freeze()
        _frozen_blocks += 1
    try:
        yield
    finally:
        with _freeze_lock:
            _frozen_blocks -= 1
            if _frozen_blocks == 0:
                gc.unfreeze()


def keep_out_of_the_collector() -> None:
    """Leave every object that exists now out of the garbage collector for the rest of the process.

    For a process that runs the night's tasks but not the flow (a Dask worker, after its preload):
    no block covers its tasks, and each task's ``release_memory`` would walk the whole heap. Counted
    as a block that never ends, so that no block's end thaws it.
    """
    global _frozen_blocks
    with _freeze_lock:
        gc.freeze()
        _frozen_blocks += 1


def release_memory() -> None:
    """Collect garbage, then return unused memory of Arrow's pool and of the C heap to the OS."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    _malloc_trim()


MMAP_THRESHOLD = 1 << 20  # bytes; glibc's own default is 128 KiB, raised as blocks are freed
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def map_large_blocks() -> None:
    """Have glibc map every block of 1 MiB or more on its own, unless the operator set
    ``MALLOC_MMAP_THRESHOLD_``.

    numpy and pandas (not Arrow: jemalloc) take their arrays from malloc. glibc raises its mapping
    threshold to the size of each mapped block freed, up to 32 MiB, so after the first large
    arrays of a step the next ones come from the heap, where a freed array stays resident until the
    whole top of the heap is free: the decision step held ~150 MiB more at its peak than it used
    (docs/PERFORMANCE.md, «Session 14»). A fixed threshold gives each large array back when it is freed.
    """
    _malloc_option(_M_MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_", MMAP_THRESHOLD)


KEEP_TRIM_THRESHOLD = 1 << 30  # bytes of free heap top glibc keeps before giving it back
KEEP_TOP_PAD = 64 << 20  # bytes glibc asks for beyond each request when the heap grows
KEEP_MMAP_THRESHOLD = 32 << 20  # glibc's largest: blocks below it come from the heap and are reused
_M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers (malloc.h)
_M_TOP_PAD = -2


# Arrow's allocators read these when pyarrow loads: mimalloc gives freed pages back after 10 ms,
# jemalloc (as Arrow builds it) after a decay of 1 s; -1: never.
KEEP_FREED_ARROW = {"MIMALLOC_PURGE_DELAY": "-1", "JE_ARROW_MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"}
_environment_lock = threading.Lock()


@contextmanager
def children_keep_freed_memory() -> Iterator[None]:
    """Processes started within the block find ``KEEP_FREED_ARROW`` in their environment (where the
    operator has not set those names); this process's own allocator, already loaded, and its
    ``os.environ`` are unchanged.

    For short-lived workers that stream a large input a batch at a time (the statements' ranges):
    each batch's arrays are freed before the next batch's are made, and an allocator that hands
    freed pages back has every batch fault in fresh pages, which the kernel zeroes; on a virtual
    machine whose host takes freed memory back those are the slowest pages there are
    (docs/PERFORMANCE.md «Session 23»). The workers call ``keep_freed_memory`` for glibc's part.
    """
    # The C library's environment only, which children inherit: ``os.environ``'s mapping, which
    # other threads may be iterating, never changes size.
    with _environment_lock:
        added = [name for name in KEEP_FREED_ARROW if name not in os.environ]
        for name in added:
            os.putenv(name, KEEP_FREED_ARROW[name])
        try:
            yield
        finally:
            for name in added:
                os.unsetenv(name)


def keep_freed_memory() -> None:
    """Have glibc keep this process's freed memory for its next allocations: blocks up to 32 MiB
    from the heap (numpy's and pandas' arrays) and 1 GiB of free heap top before trimming, unless
    the operator set ``MALLOC_*_``. For a worker that ends when its work does
    (``children_keep_freed_memory``): its peak grows a little (~0.1–0.2 GB for a statements'
    worker at 30M postings), what it keeps ends with it."""
    _malloc_option(_M_TRIM_THRESHOLD, "MALLOC_TRIM_THRESHOLD_", KEEP_TRIM_THRESHOLD)
    _malloc_option(_M_TOP_PAD, "MALLOC_TOP_PAD_", KEEP_TOP_PAD)
    _malloc_option(_M_MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_", KEEP_MMAP_THRESHOLD)


def _malloc_option(parameter: int, name: str, value: int) -> None:
    """glibc's ``mallopt(parameter, value)``, unless the operator set it by the environment variable
    ``name`` (glibc read it at the start); nothing where the C library has no ``mallopt``."""
    mallopt = _libc("mallopt")
    if mallopt is not None and name not in os.environ:
        mallopt(parameter, value)


def _malloc_trim() -> None:
    """glibc's ``malloc_trim(0)``; a no-op where the C library has none (musl, macOS, Windows)."""
    trim = _libc("malloc_trim")
    if trim is not None:
        trim(0)


def _libc(function: str) -> Callable[..., int] | None:
    """The C library's ``function``, or None where there is no such library or function."""
    library = _c_library()
    return getattr(library, function, None) if library is not None else None


@functools.cache  # find_library runs ``ldconfig -p`` in a subprocess at every call
def _c_library() -> ctypes.CDLL | None:
    """The C library, loaded once a process (None where there is none)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None
