"""release_memory hands freed memory back and never fails where the C library lacks malloc_trim."""

from __future__ import annotations

import ctypes.util
import sys

import numpy as np
import pyarrow as pa
import pytest

from rkc.memory import release_memory


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_freed_arrow_memory_goes_back_to_the_os() -> None:
    release_memory()
    before = _rss()
    big = pa.array(np.arange(20_000_000, dtype=np.int64)).cast(pa.string())  # ~250 MB in Arrow's pool
    held = _rss()
    del big
    release_memory()
    assert held - before > 100 * 2**20
    assert _rss() - before < (held - before) / 2


def test_no_c_library_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    from rkc.memory import _c_library, _libc

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    _c_library.cache_clear()  # the C library is looked up once a process: look again without one
    try:
        release_memory()
        assert _libc("malloc_trim") is None
    finally:
        _c_library.cache_clear()


def test_the_c_library_is_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``find_library`` runs ``ldconfig -p`` in a subprocess: each step's release_memory paid it."""
    from rkc.memory import _c_library

    calls: list[str] = []
    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: calls.append(name) or real(name))
    _c_library.cache_clear()
    try:
        release_memory()
        release_memory()
    finally:
        _c_library.cache_clear()
    assert calls == ["c"]


def test_operator_choice_of_pool_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from rkc.memory import return_memory_promptly

    before = pa.default_memory_pool().backend_name
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    return_memory_promptly()
    assert pa.default_memory_pool().backend_name == before


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_objects_of_before_are_left_out_of_the_collector_until_the_block_ends() -> None:
    import gc
    import weakref

    from rkc.memory import libraries_out_of_the_collector

    old = _Cycle()
    old_ref = weakref.ref(old)
    with libraries_out_of_the_collector():
        assert gc.get_freeze_count() > 0
        del old
        gc.collect()
        assert old_ref() is not None  # frozen: a full collection does not reach it
        new = _Cycle()
        new_ref = weakref.ref(new)
        del new
        gc.collect()
        assert new_ref() is None  # the block's own garbage is still collected
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old_ref() is None  # thawed: collected again after the block


def test_a_block_inside_another_does_not_thaw_it() -> None:
    """A charges import (its own block) inside a night's block, in another thread: its end must not
    thaw what the night froze, and the night's end thaws it."""
    import gc
    import threading
    import weakref

    from rkc.memory import libraries_out_of_the_collector

    old = _Cycle()
    old_ref = weakref.ref(old)
    inner_entered, inner_may_leave = threading.Event(), threading.Event()

    def inner() -> None:
        with libraries_out_of_the_collector():
            inner_entered.set()
            inner_may_leave.wait(10)

    with libraries_out_of_the_collector():
        other = threading.Thread(target=inner)
        other.start()
        inner_entered.wait(10)
        inner_may_leave.set()
        other.join(10)
        with libraries_out_of_the_collector():  # nested in this thread too
            pass
        # Still frozen after both inner blocks ended (the count itself may fall a little: a frozen
        # object whose last reference goes is freed, as the other thread's frames are).
        assert gc.get_freeze_count() > 0
        del old
        gc.collect()
        assert old_ref() is not None
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old_ref() is None


def test_a_dask_worker_leaves_what_it_imported_out_of_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker runs tasks, not the flow: its preload freezes the libraries once they are imported."""
    from flows.dask_worker import dask_setup
    from rkc import memory

    calls: list[str] = []
    monkeypatch.setattr(memory, "keep_out_of_the_collector", lambda: calls.append("kept"))
    dask_setup(object())
    assert calls == ["kept"]


def test_what_is_kept_out_for_good_is_not_thawed_by_a_block(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from rkc import memory

    calls: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
    monkeypatch.setattr(memory, "_frozen_blocks", 0)
    memory.keep_out_of_the_collector()
    with memory.libraries_out_of_the_collector():
        pass
    assert calls == ["freeze"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="jemalloc is in pyarrow's Linux wheels only")
@pytest.mark.parametrize(("chosen", "expected"), [(None, "jemalloc"), ("system", "system")])
def test_arrow_s_own_code_allocates_from_the_pool_the_package_names(chosen: str | None, expected: str) -> None:
    """Arrow's C++ code reads its allocator once, when pyarrow loads: importing the flows must name
    jemalloc first (C++ allocations went to mimalloc and stayed resident), and an operator's choice
    stays."""
    import os
    import subprocess
    from pathlib import Path

    probe = (
        "import flows.nightly, pyarrow as pa, pyarrow.compute as pc;"
        " before = pa.jemalloc_memory_pool().bytes_allocated();"
        " big = pc.add(pa.array(range(1_000_000)), 1);"  # allocated by a compute kernel, in C++
        " print(pa.default_memory_pool().backend_name, pa.jemalloc_memory_pool().bytes_allocated() > before)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=root, capture_output=True, text=True, check=True)
    backend, kernel_in_jemalloc = done.stdout.split()
    assert backend == expected
    assert kernel_in_jemalloc == str(expected == "jemalloc")


def test_importing_the_package_or_the_module_changes_nothing() -> None:
    """No import side effects: the entry points call ``name_arrow_allocator`` themselves."""
    import os
    import subprocess
    from pathlib import Path

    probe = (
        "import os, sys, rkc, rkc.memory; print('ARROW_DEFAULT_MEMORY_POOL' in os.environ, 'pyarrow' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=root, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt, /proc/self/statm")
def test_large_arrays_freed_between_others_go_back_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """glibc alone raises its mapping threshold to a freed block's size: after a 16 MiB array is
    freed, 4 MiB arrays come from the heap and stay resident when freed below one still alive."""
    from rkc.memory import map_large_blocks

    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    map_large_blocks()
    big = np.ones(16 * 2**20 // 8)
    del big
    before = _rss()
    arrays = [np.ones(2**19) for _ in range(40)]  # 40 arrays of 4 MiB, each written
    held = _rss()
    last = arrays[-1]
    del arrays
    assert held - before > 120 * 2**20
    assert _rss() - before < 24 * 2**20
    assert last[0] == 1.0


def test_children_started_in_the_block_find_the_settings_and_this_process_keeps_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Arrow's allocators read their settings when pyarrow loads: they reach a child through its
    environment, set only while the block starts it; an operator's own value stays."""
    import os
    import subprocess

    from rkc.memory import KEEP_FREED_ARROW, children_keep_freed_memory

    monkeypatch.delenv("MIMALLOC_PURGE_DELAY", raising=False)
    monkeypatch.setenv("JE_ARROW_MALLOC_CONF", "dirty_decay_ms:5")  # the operator's
    probe = "import os; print(os.environ.get('MIMALLOC_PURGE_DELAY'), os.environ.get('JE_ARROW_MALLOC_CONF'))"
    with children_keep_freed_memory():
        seen = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert seen.split() == [KEEP_FREED_ARROW["MIMALLOC_PURGE_DELAY"], "dirty_decay_ms:5"]
    assert "MIMALLOC_PURGE_DELAY" not in os.environ
    assert os.environ["JE_ARROW_MALLOC_CONF"] == "dirty_decay_ms:5"


def test_glibc_keeps_freed_memory_unless_the_operator_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    import rkc.memory as memory

    calls: list[tuple[int, int]] = []

    def mallopt(parameter: int, value: int) -> int:
        calls.append((parameter, value))
        return 1

    monkeypatch.setattr(memory, "_libc", lambda name: mallopt if name == "mallopt" else None)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.setenv("MALLOC_TOP_PAD_", "0")
    memory.keep_freed_memory()
    assert calls == [(memory._M_TRIM_THRESHOLD, memory.KEEP_TRIM_THRESHOLD),
                     (memory._M_MMAP_THRESHOLD, memory.KEEP_MMAP_THRESHOLD)]  # fmt: skip
    monkeypatch.setattr(memory, "_libc", lambda name: None)
    memory.keep_freed_memory()  # no C library (musl, macOS): nothing to do, no error
