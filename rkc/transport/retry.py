"""Retries of network operations with exponential backoff (tenacity), on transient errors only."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import tenacity

from rkc.config_transport import Network

T = TypeVar("T")
log = logging.getLogger("rkc.transport")


def with_retries(
    operation: Callable[[], T],
    network: Network,
    transient: Callable[[BaseException], bool],
    what: str,
    logger: logging.Logger | logging.LoggerAdapter = log,
) -> T:
    """Run ``operation``; when it fails with an error ``transient`` accepts, wait
    ``backoff_seconds`` (doubled each time) and run it again, ``attempts`` times in all; the last
    error is raised as it is."""

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.warning("%s: attempt %d of %d failed (%s: %s); again in %.1f s", what, state.attempt_number,
                       network.attempts, type(error).__name__, error, state.next_action.sleep if state.next_action
                       else 0)  # fmt: skip

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(network.attempts),
        wait=tenacity.wait_exponential(multiplier=network.backoff_seconds, min=network.backoff_seconds),
        retry=tenacity.retry_if_exception(transient),
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(operation)


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run an asyncio coroutine from synchronous code, in a thread of its own if this thread
    already runs an event loop (a flow run by an async caller)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
