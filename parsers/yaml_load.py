"""YAML of the configuration and the dialect files, read with libyaml's C loader when present.

A night loads the configuration once per task, and each load reads every channel's dialect file:
the pure-Python loader made that a visible part of a small night (docs/PERFORMANCE.md)."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """The data of one YAML document, with the safe loader's types only (as ``yaml.safe_load``).

    >>> safe_load("a: '007'\\nb: [1, 2]")
    {'a': '007', 'b': [1, 2]}
    """
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
