"""Preload of a Dask worker that runs the night's tasks: ``dask worker tcp://host:8786 --nthreads 1
--preload flows.dask_worker`` (docs/OPERATIONS.md «The night on a Dask cluster»); the LocalCluster
of ``executor: {kind: dask, local_workers: N}`` names it too.

A worker is an entry point like the flow's process: Arrow's allocator is named (by the ``flows``
package, imported first) and told to hand freed memory back at once, as the flow does at its
start, so that each task's ``release_memory`` returns a register's peak to the system before the
worker takes the next one. The night's modules are imported here, once, not by the first task.

What exists once they are imported (the libraries, Dask's own state) is then left out of the
garbage collector for the worker's life (``keep_out_of_the_collector``): a worker runs no flow, so no
``libraries_out_of_the_collector`` block does it, and each task's ``release_memory`` walked all of
it again (docs/PERFORMANCE.md «Session 21: the suite»).
"""

from __future__ import annotations

import logging

from rkc import memory


def dask_setup(worker: object) -> None:
    """Called by Dask once in each worker process before it takes tasks."""
    memory.return_memory_promptly()
    import flows.nightly  # noqa: F401  the night's tasks and everything they import

    memory.keep_out_of_the_collector()  # these objects live as long as the worker

    logging.getLogger("rkc.flows").info("worker %s ready for the night's tasks", getattr(worker, "address", "?"))
