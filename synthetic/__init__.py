"""Synthetic data: a whole settlement center's day (suppliers, charges, registers, a statement).

``generate(dir, accounts=…, payments=…, seed=…)`` writes it and returns a ``GeneratedDay``; the
manifest it writes lists every planted defect and the totals a correct run must find.
"""

from synthetic.core import GeneratedDay, GenerateError, generate

__all__ = ["GenerateError", "GeneratedDay", "generate"]
