"""Prefect flows: thin wiring over the application's plain functions (``rkc.*``).

The flows are entry points (a worker loads ``flows/<name>.py``; the CLI, the tests and the
benchmarks import them), so the package names Arrow's allocator before any flow module's imports
load pyarrow. A deployment also names it in its environment (prefect.yaml): a flow file loaded as
a script reaches this package only at its first ``from flows…`` import.
"""

from rkc.memory import name_arrow_allocator

name_arrow_allocator()
