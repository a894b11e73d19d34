"""The order in which the flow's own threads post the night's registers: one channel's registers
as one lane of work, the longest lane first.

Registers of one channel are posted one after the other whatever the flow asks (the ledger lock
is exclusive per channel, ``sql.bulk.lock_ledger``). Handed to the thread pool largest first, the
small registers of the channel of the largest one (two Sber registers of 25k and 10k lines beside
its 466k) waited for it and were posted after it, one at a time, while the other thread had
nothing left: a tail of the night's posting with one core's work (docs/PERFORMANCE.md «Session
16: the night's wall time»). Here each channel's registers are one chain, the chains are started
longest first (by lines), ``workers`` at a time, and a chain's next register is submitted when its
previous one ends: a thread never waits on another's channel, and the longest channel starts first.
"""

from __future__ import annotations

import concurrent.futures
from collections import deque
from collections.abc import Callable

from prefect.futures import PrefectFuture


def channel_chains(intakes: list[dict]) -> list[list[int]]:
    """Positions of ``intakes`` grouped by channel, each group largest register first, the groups
    by their lines together, most first (a register without a channel is a group of its own)."""
    groups: dict[str, list[int]] = {}
    for i, intake in enumerate(intakes):
        groups.setdefault(intake.get("channel") or f"#{i}", []).append(i)
    lines = [int(intake.get("lines", 0)) for intake in intakes]
    chains = [sorted(group, key=lambda i: -lines[i]) for group in groups.values()]
    return sorted(chains, key=lambda chain: -sum(lines[i] for i in chain))


def post_in_lanes(
    submit_one: Callable[[int], PrefectFuture], chains: list[list[int]], workers: int,
    stop: Callable[[list[PrefectFuture]], None],
) -> dict[int, PrefectFuture]:  # fmt: skip
    """Submit ``submit_one(i)`` for every position of ``chains``: ``workers`` chains at a time, a
    chain's registers one after the other; return every future once all have ended. On an
    interrupt nothing more is submitted and ``stop`` settles those submitted before it goes on."""
    futures: dict[int, PrefectFuture] = {}
    waiting = deque(deque(chain) for chain in chains if chain)
    running: dict[concurrent.futures.Future, deque[int]] = {}

    def start(chain: deque[int]) -> None:
        i = chain.popleft()
        futures[i] = submit_one(i)
        running[futures[i].wrapped_future] = chain

    try:
        while waiting or running:
            while waiting and len(running) < workers:
                start(waiting.popleft())
            ended, _ = concurrent.futures.wait(list(running), return_when=concurrent.futures.FIRST_COMPLETED)
            for future in ended:
                chain = running.pop(future)
                if chain:  # the channel's next register, in the same lane
                    start(chain)
    except BaseException:  # interrupted: what was submitted still ends first
        stop(list(futures.values()))
        raise
    return futures
