"""The ``executor`` section of ``rkc.yaml``: where the nightly run's per-file and per-register tasks
run — in the flow's own process (``local``, the default) or on a Dask cluster (``dask``), either a
cluster of ``local_workers`` processes started for the night or an existing scheduler at
``address`` (docs/CONFIG.md, docs/OPERATIONS.md «The night on a Dask cluster»)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_ADDRESS = re.compile(r"^(tcp|tls)://[^\s/:]+:\d{1,5}$")
_KEYS = {"kind", "address", "local_workers"}


class ExecutorKind(StrEnum):
    """Where the night's intake and posting tasks run."""

    LOCAL = "local"  # the flow's thread pool, in the flow's process
    DASK = "dask"  # a Dask cluster, through prefect-dask's DaskTaskRunner


@dataclass(frozen=True)
class Executor:
    """``executor:``. ``dask`` has exactly one of ``address`` (an existing scheduler) and
    ``local_workers`` (a LocalCluster of that many worker processes for the night)."""

    kind: ExecutorKind = ExecutorKind.LOCAL
    address: str = ""  # tcp://host:8786 (or tls://…): a scheduler whose workers share the store
    local_workers: int = 0  # worker processes of a LocalCluster started and stopped with the night

    @property
    def on_cluster(self) -> bool:
        """Whether the night's files and registers go to Dask workers."""
        return self.kind == ExecutorKind.DASK


def parse_executor(data: Any, source: str, database_url: str, error: type[Exception]) -> Executor:
    """Read ``executor`` (absent: local); ``error`` names the key of any mistake.

    A Dask night needs PostgreSQL: SQLite has one writer, and its file cannot be shared by the
    processes of several machines (its locks do not hold on a network filesystem). It is refused
    here, so every command says so, not the night when it starts."""
    if data is None:
        return Executor()
    if not isinstance(data, dict):
        raise error(f"{source}: executor must be a mapping such as {{kind: local}}, got {data!r}")
    unknown = set(data) - _KEYS
    if unknown:
        raise error(f"{source}: executor: unknown keys {', '.join(sorted(unknown))}")
    try:
        kind = ExecutorKind(str(data.get("kind") or ExecutorKind.LOCAL))
    except ValueError:
        raise error(f"{source}: executor.kind must be `local` or `dask`, got {data.get('kind')!r}") from None
    address, workers = data.get("address"), data.get("local_workers")
    if kind == ExecutorKind.LOCAL:
        if address is not None or workers is not None:
            raise error(f"{source}: executor: address and local_workers belong to kind: dask")
        return Executor()
    if (address is None) == (workers is None):
        raise error(f"{source}: executor: kind dask needs either address (tcp://host:8786, an existing "
                    f"scheduler) or local_workers (N worker processes on this machine), not both")  # fmt: skip
    if address is not None and not (isinstance(address, str) and _ADDRESS.match(address)):
        raise error(f"{source}: executor.address must be a scheduler address like tcp://host:8786, got {address!r}")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        raise error(f"{source}: executor.local_workers must be a whole number ≥ 1, got {workers!r}")
    if not database_url.startswith("postgresql"):
        raise error(f"{source}: executor kind dask needs PostgreSQL (database_url or RKC_DATABASE_URL): "
                    f"SQLite has one writer and its file cannot be shared by the cluster's workers")  # fmt: skip
    return Executor(ExecutorKind.DASK, address or "", workers or 0)
