"""The nightly flow's postings under an interrupt: none may outlive the run lock.

A posting commits or rolls back whole; on Ctrl-C or a stop signal the flow drops the postings not
yet started and waits for those under way before the interrupt goes on (docs/OPERATIONS.md).
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable

from prefect.futures import PrefectConcurrentFuture, PrefectFuture, wait


def finish_started(futures: list[PrefectFuture], stop: Callable[[list], None] | None = None) -> None:
    """Wait for every posting. On an interrupt (Ctrl-C, a stop signal) drop those not yet started
    and wait for those under way before the interrupt goes on: the run lock must not be let go
    while a register is still being committed (a run waiting for the lock would decide the night
    without it), and each of them commits or rolls back whole. On a Dask cluster ``stop`` is
    ``flows.cluster.let_go``: a worker's posting is out of the flow's reach, and fenced off by
    the run lock instead."""
    try:
        wait(futures)
    except BaseException:
        (stop or settle)(futures)
        raise


def settle(futures: list[PrefectConcurrentFuture]) -> None:
    """Drop the postings still queued and wait for those running to commit or roll back, through
    further interrupts (a second Ctrl-C, a stop signal): none may outlive the run lock."""
    for future in futures:
        future.wrapped_future.cancel()  # only those still queued: a running one cannot be
    queued_or_running = [f.wrapped_future for f in futures]
    logger = logging.getLogger("rkc.nightly")
    while under_way := [f for f in queued_or_running if not f.done()]:
        logger.warning("Interrupted: waiting for %d register(s) being posted to commit or roll back", len(under_way))
        try:
            concurrent.futures.wait(under_way)
        except BaseException as again:  # interrupted again: still not while a transaction is open
            logger.warning("Interrupted again (%s); the wait goes on", type(again).__name__)
