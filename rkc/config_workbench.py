"""The ``workbench`` section of ``rkc.yaml``: what closes itself, how long a session lasts, how
logins are throttled, up to what sum a write-off or a refund to a payer needs no approval
(docs/CONFIG.md, docs/WORKBENCH.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.cases import TOLERATED
from domain.money import parse_amount


@dataclass(frozen=True)
class Workbench:
    """The ``workbench`` settings. ``tolerance``: code → kopecks within which it is informational."""

    tolerance: dict[str, int] = field(default_factory=lambda: {c.value: 100 for c in TOLERATED})
    session_minutes: int = 480
    login_failures: int = 5  # failures per login or address in the window before logins are refused
    login_window_minutes: int = 15
    secure_cookies: bool = True  # False only for plain-HTTP loopback use (tests, a local demo)
    write_off_limit: int = 100_000  # kopecks an accountant may write off without a senior's approval
    refund_limit: int = 100_000  # kopecks an accountant may refund to a payer without a senior's approval


def parse_workbench(data: Any, source: str, error: type[Exception]) -> Workbench:
    """Read ``workbench`` (may be absent); ``error`` is raised naming the key of any mistake."""
    if data is None:
        return Workbench()
    if not isinstance(data, dict):
        raise error(f"{source}: workbench must be a mapping")
    default = Workbench()
    tolerance = dict(default.tolerance)
    for code, value in (data.get("informational_tolerance") or {}).items():
        if code not in tolerance:
            raise error(f"{source}: workbench.informational_tolerance.{code}: only "
                        f"{', '.join(tolerance)} can close themselves")  # fmt: skip
        try:
            tolerance[code] = parse_amount(str(value))
        except ValueError as exc:
            raise error(f"{source}: workbench.informational_tolerance.{code}: {exc}") from exc
    ints = {}
    for key in ("session_minutes", "login_failures", "login_window_minutes"):
        value = data.get(key, getattr(default, key))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise error(f"{source}: workbench.{key} must be a positive integer, got {value!r}")
        ints[key] = value
    secure = data.get("secure_cookies", True)
    if not isinstance(secure, bool):
        raise error(f"{source}: workbench.secure_cookies must be true or false")
    limits = {}
    for key in ("write_off_limit", "refund_limit"):
        limits[key] = getattr(default, key)
        if key in data:
            try:
                limits[key] = parse_amount(str(data[key]))
            except ValueError as exc:
                raise error(f"{source}: workbench.{key}: {exc}") from exc
            if limits[key] < 0:
                raise error(f"{source}: workbench.{key} must not be negative")
    return Workbench(tolerance, secure_cookies=secure, **limits, **ints)
