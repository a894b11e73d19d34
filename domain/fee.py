"""The center's fee (вознаграждение РКЦ) per supplier contract: pure arithmetic in kopecks.

A contract takes ``percent`` of the money collected for the supplier in a calendar month, with a
different percent for some services when it says so (``by_service``), at least ``minimum`` and at
most ``maximum`` per month (kopecks; ``None``: no cap).

Rounding rule (docs/LEDGER.md, The center's fee): per month, per service, the month's collected
amount (never below 0: a month whose reversals exceed its collections earns no fee on that
service) × the service's percent / 100, rounded half up to the kopeck (0.5 kopeck → 1 kopeck);
the services' fees are summed, then capped at ``maximum``. The ``minimum`` applies once the month
is over and only to a month that collected money: a month still running owes what its money
earned so far. The arithmetic is exact (the percent as an integer ratio, integer division).

>>> terms = FeeTerms(Decimal("1.5"), minimum=50_000, maximum=1_000_000)
>>> month_fee({None: 1_000_000}, terms, closed=False)   # 1.5 % of 10 000,00
15000
>>> month_fee({None: 1_000_000}, terms, closed=True)    # the month's minimum, 500,00
50000
>>> month_fee({"ХВС": 333, "Отопление": 333}, FeeTerms(Decimal("1.5")), closed=True)  # 5.0 + 5.0 kopecks
10
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from domain.money import AmountError, parse_amount


class FeeTermsError(ValueError):
    """Fee terms a contract cannot have (a negative percent, a maximum below the minimum, …)."""


@dataclass(frozen=True, slots=True)
class FeeTerms:
    """One supplier's fee: ``percent`` of collections (per service where ``by_service`` names the
    service), clamped per month to ``minimum`` and ``maximum`` kopecks."""

    percent: Decimal
    minimum: int = 0
    maximum: int | None = None
    by_service: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for what, value in (("percent", self.percent), *self.by_service.items()):
            if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= 100:
                raise FeeTermsError(f"fee percent of {what} must be a Decimal from 0 to 100, got {value!r}")
        if self.minimum < 0 or (self.maximum is not None and self.maximum < self.minimum):
            raise FeeTermsError(f"fee minimum {self.minimum} and maximum {self.maximum} do not make a range")

    def percent_for(self, service: str | None) -> Decimal:
        """The percent taken on ``service`` (the contract's general one when it names none for it)."""
        return self.by_service.get(service or "", self.percent)

    @property
    def is_free(self) -> bool:
        """Whether the contract takes no fee at all."""
        return self.percent == 0 and self.minimum == 0 and not any(self.by_service.values())


NO_FEE = FeeTerms(Decimal(0))


def percent_of(amount: int, percent: Decimal) -> int:
    """``amount`` × ``percent`` / 100 in kopecks, rounded half up (``amount`` ≥ 0)."""
    num, den = percent.as_integer_ratio()
    den *= 100
    return (2 * amount * num + den) // (2 * den)


def month_fee(collected: Mapping[str | None, int], terms: FeeTerms, *, closed: bool) -> int:
    """The fee a month owes: ``collected`` is the month's money per service (kopecks; ``None`` or
    ``""`` for money without a service), ``closed`` whether the month is over (see the module's
    rounding rule)."""
    fee = sum(percent_of(max(amount, 0), terms.percent_for(service)) for service, amount in collected.items())
    if terms.maximum is not None:
        fee = min(fee, terms.maximum)
    if closed and sum(collected.values()) > 0:
        fee = max(fee, terms.minimum)
    return fee


def parse_terms(percent: str, minimum: str = "", maximum: str = "", services: str = "") -> FeeTerms:
    """Fee terms from the suppliers directory's text columns: ``fee_percent`` (``1.5`` or ``1,5``),
    ``fee_min`` and ``fee_max`` (rubles, empty: none) and ``fee_services``
    (``ХВС=1.2|Отопление=0.8``: a percent per service). Raises ``FeeTermsError``."""
    try:
        general = _percent(percent or "0")
        low = parse_amount(minimum) if minimum.strip() else 0
        high = parse_amount(maximum) if maximum.strip() else None
    except AmountError as exc:
        raise FeeTermsError(f"fee minimum/maximum: {exc}") from None
    by_service = {}
    for part in filter(None, (p.strip() for p in services.split("|"))):
        name, sep, value = part.rpartition("=")
        if not sep or not name.strip():
            raise FeeTermsError(f"fee_services part {part!r} is not service=percent")
        by_service[name.strip()] = _percent(value)
    return FeeTerms(general, low, high, by_service)


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise FeeTermsError(f"fee percent {text!r} is not a number") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise FeeTermsError(f"fee percent {text!r} must be from 0 to 100")
    return value
