"""YAML of the configuration and the dialect files, read with libyaml's C loader when present.

A night loads the configuration once per task, and each load reads every channel's dialect file:
the pure-Python loader made that a visible part of a small night (docs/PERFORMANCE.md). The same
texts come back at every load, so each distinct text is parsed once a process and its data copied.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """The data of one YAML document, with the safe loader's types only (as ``yaml.safe_load``).

    The caller gets its own copy: changing it changes no later load of the same text.

    >>> safe_load("a: '007'\\nb: [1, 2]")
    {'a': '007', 'b': [1, 2]}
    """
    return copy.deepcopy(_parsed(text))


@functools.lru_cache(maxsize=64)  # rkc.yaml and a dialect file per channel, a parse ~15x the copy
def _parsed(text: str) -> Any:
    """``text`` parsed (a failure raises and is not cached)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
