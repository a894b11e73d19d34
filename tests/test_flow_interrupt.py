"""An interrupt (Ctrl-C, a stop signal) while registers are being posted: those under way end their
transaction before the interrupt reaches the run lock; those still queued never start."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from prefect.futures import PrefectConcurrentFuture

from flows import interrupts as posting_interrupts
from flows import nightly as nightly_module


def test_interrupt_waits_for_the_posting_under_way_and_drops_the_queued(monkeypatch) -> None:
    started = threading.Event()
    events: list[str] = []

    def posting(name: str, seconds: float) -> str:
        events.append(f"{name} started")
        started.set()
        time.sleep(seconds)
        events.append(f"{name} committed")
        return name

    def interrupted(futures, timeout=None) -> None:
        started.wait()
        raise KeyboardInterrupt

    monkeypatch.setattr(posting_interrupts, "wait", interrupted)
    with ThreadPoolExecutor(max_workers=1) as pool:
        futures = [PrefectConcurrentFuture(uuid.uuid4(), pool.submit(posting, name, 0.3)) for name in ("big", "small")]
        with pytest.raises(KeyboardInterrupt):
            posting_interrupts.finish_started(futures)
        # The interrupt went on only once the register under way had committed.
        assert events == ["big started", "big committed"]
    assert futures[1].wrapped_future.cancelled()
    assert events == ["big started", "big committed"]


def test_a_second_interrupt_does_not_cut_the_wait_short(monkeypatch) -> None:
    started = threading.Event()
    committed = threading.Event()
    interrupts = {"left": 2}

    def posting() -> None:
        started.set()
        time.sleep(0.3)
        committed.set()

    def interrupted(futures, timeout=None) -> None:
        started.wait()
        raise KeyboardInterrupt

    real_wait = posting_interrupts.concurrent.futures.wait

    def impatient(futures, *args, **kwargs):
        if interrupts["left"]:
            interrupts["left"] -= 1
            raise KeyboardInterrupt  # Ctrl-C pressed again while waiting
        return real_wait(futures, *args, **kwargs)

    monkeypatch.setattr(posting_interrupts, "wait", interrupted)
    monkeypatch.setattr(posting_interrupts.concurrent.futures, "wait", impatient)
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = PrefectConcurrentFuture(uuid.uuid4(), pool.submit(posting))
        with pytest.raises(KeyboardInterrupt):
            posting_interrupts.finish_started([future])
        assert committed.is_set() and interrupts["left"] == 0


def test_an_interrupt_while_submitting_waits_for_those_submitted(monkeypatch) -> None:
    events: list[str] = []
    pool = ThreadPoolExecutor(max_workers=2)

    def posting() -> None:
        time.sleep(0.3)
        events.append("committed")

    class Task:
        submitted = 0

        def submit(self, *args):
            self.submitted += 1
            if self.submitted == 2:
                raise KeyboardInterrupt  # Ctrl-C between two submissions
            return PrefectConcurrentFuture(uuid.uuid4(), pool.submit(posting))

    monkeypatch.setattr(nightly_module, "post_register", Task())
    intakes = [{"lines": 10}, {"lines": 5}, {"lines": 1}]
    with pytest.raises(KeyboardInterrupt):
        nightly_module._post_all("home", intakes, None, None, workers=2)  # type: ignore[arg-type]
    assert events == ["committed"]  # the interrupt went on only once the submitted one had ended
    pool.shutdown()
