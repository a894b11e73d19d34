"""Assigning one suspense payment to ПД in parts (docs/WORKBENCH.md, «split across several ПД»).

An accountant names, for a payment whose money sits in suspense, one ПД (the whole of it) or
several ПД with an amount each. The rules, in the order they are checked: at least one part, at
most ``MAX_PARTS``; every part of a split has an amount, and every amount is above zero; every
target names a ПД; no ПД twice (a ЛС and the УИП of its ПД are the same target); the parts sum to
exactly what the payment has in suspense. Each part is then split over its ПД's service lines by
the usual rule (``domain.splitting``). Pure: values in, a Russian reason or None out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.money import AmountError, format_ru, parse_amount

MAX_PARTS = 20  # a payment split over more ПД than this is a typing accident, not a resolution


@dataclass(frozen=True)
class Part:
    """One part as asked: the target as typed, the ПД it names (None: none), the amount in kopecks
    (None: not given, which only a single part may leave out: then it is the whole payment)."""

    target: str
    uip: str | None
    amount: int | None


def read_amount(text: str, target: str) -> tuple[int | None, str | None]:
    """A part's amount as typed (``1 234,56``; empty: not given) in kopecks, or the Russian reason
    it cannot be read."""
    text = (text or "").strip()
    if not text:
        return None, None
    try:
        return parse_amount(text), None
    except AmountError:
        return None, f"сумма «{text}» для ПД {target} не распознана: пишите как 1 234,56"


def parts_refusal(parts: Sequence[Part], held: int) -> str | None:
    """Why ``parts`` cannot move a payment holding ``held`` kopecks in suspense (Russian), or None."""
    if not parts:
        return "укажите хотя бы один ПД"
    if len(parts) > MAX_PARTS:
        return f"частей {len(parts)}: не более {MAX_PARTS}"
    split = len(parts) > 1
    for part in parts:
        if part.amount is None and split:
            return f"не указана сумма для ПД {part.target}: при разделении сумма нужна в каждой строке"
        if part.amount is not None and part.amount <= 0:
            return f"сумма для ПД {part.target} должна быть больше нуля"
    for part in parts:
        if part.uip is None:
            return f"нет ПД с УИП или ЛС {part.target!r}"
    seen: dict[str, str] = {}
    for part in parts:
        if part.uip in seen:
            return f"ПД {part.uip} указан дважды ({seen[part.uip]!r} и {part.target!r}): одна часть на ПД"
        seen[str(part.uip)] = part.target
    total = sum(held if p.amount is None else p.amount for p in parts)
    if total != held:
        more = "больше" if total > held else "меньше"
        return (f"части в сумме {format_ru(total)}, а в невыясненных по платежу {format_ru(held)}: "
                f"на {format_ru(abs(total - held))} {more}")  # fmt: skip
    return None


def amounts(parts: Sequence[Part], held: int) -> list[int]:
    """Each part's kopecks (a single part without an amount is the whole ``held``)."""
    return [held if p.amount is None else p.amount for p in parts]
