"""Payers' own п/п in the generated statement: citizens who pay the center's account straight from
their bank, the ЛС and the month written only in the purpose (docs/RULES.md, "Direct payments").

A handful a day, in the shapes payers write them (``tests/test_purpose.py`` reads the same shapes):
most name the ПД by its ЛС and month, its ЕЛС and month, or its ИПД, and pay it; the last
``UNNAMED`` name nothing a ПД can be found by and go to suspense with their text shown. Each pays a
current ПД of an account no register pays that day, so no near miss or duplicate comes of it.

Drawn from a generator of their own (the day's seed and ``SALT``), so a day with them differs from
the same day without them in its statement and manifest only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from domain.identifiers import bank_account
from synthetic.payments import Plan
from synthetic.statement import SBER_BIC, Transfer
from synthetic.world import World

SALT = 19  # issue #19: the payers' draws, apart from the day's
MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
          "декабрь")  # fmt: skip
# What a payer writes, by what names the ПД: {acc} the ЛС compact, {raw} as the receipt prints it,
# {mm}/{yyyy}/{yy}/{month} the ПД's month, {uip} its УИП (an ИПД for an account with an ЕЛС, else
# the 20-digit key). The ЕЛС alone is not among them: the generated charges carry no `els` column.
NAMED = (
    ("account", "ЛС {acc} за {mm}.{yyyy}"),
    ("account", "Оплата ЖКУ л/с №{raw} за {month} {yyyy}г"),
    ("ipd", "Оплата ЖКУ ИПД {uip}"),
    ("account", "Квартплата лицевой счет {acc} {month} {yyyy}"),
    ("uin", "УИН: {uip} за {month} {yyyy}"),
    ("account", "лиц.сч.{acc} период {mm}/{yy}"),
)
UNNAMED = ("Оплата коммунальных услуг за {month} {yyyy}", "Перевод собственных средств")
ROUND_UP = 3  # this NAMED shape rounds the sum up to whole hundreds of rubles, as payers do: an overpayment


@dataclass(frozen=True)
class PayerTransfer:
    """One payer's п/п and what a correct night makes of it."""

    transfer: Transfer
    doc: int  # the ПД it pays (world row); -1: its purpose names none, suspense
    account: str | None  # the ЛС of that ПД (compact)


def _pool(world: World, plan: Plan) -> np.ndarray:
    """Current ПД with something owed, of accounts no register pays today (else of any account)."""
    paying = np.unique(world.doc_acc[plan.doc[plan.doc >= 0]])
    current = np.flatnonzero(~world.doc_old & (world.doc_total > 0))
    free = current[~np.isin(world.doc_acc[current], paying)]
    return free if len(free) >= len(NAMED) else current


def payer_transfers(seed: int, world: World, plan: Plan, day: date,
                    center: tuple[str, str, str]) -> list[PayerTransfer]:  # fmt: skip
    """The day's payers' п/п into ``center``'s account, dated ``day`` (see the module doc)."""
    rng = np.random.default_rng([seed, SALT])
    pool = _pool(world, plan)
    has_ipd = np.asarray(world.els.take(pa.array(world.doc_acc[pool])).to_numpy(zero_copy_only=False)) != ""
    pools = {"account": pool, "ipd": pool[has_ipd], "uin": pool[~has_ipd]}
    numbers = iter(str(n) for n in rng.choice(np.arange(1, 100), size=len(NAMED) + len(UNNAMED), replace=False))
    taken: set[int] = set()
    out = []
    period = world.period
    words = {"mm": f"{period:%m}", "yyyy": f"{period:%Y}", "yy": f"{period:%y}", "month": MONTHS[period.month - 1]}
    for i, (needs, text) in enumerate(NAMED):
        choices = [d for d in pools[needs].tolist() if d not in taken]
        if not choices:  # a small center without such a ПД: name one by its ЛС instead
            needs, text = NAMED[0]
            choices = [d for d in pool.tolist() if d not in taken]
        if not choices:
            continue
        doc = int(choices[int(rng.integers(len(choices)))])
        taken.add(doc)
        acc = int(world.doc_acc[doc])
        purpose = text.format(acc=world.account[acc].as_py(), raw=world.account_raw[acc].as_py(),
                              uip=world.doc_uip[doc].as_py(), **words)  # fmt: skip
        amount = int(world.doc_total[doc])
        if i == ROUND_UP:
            amount = -(-amount // 10_000) * 10_000
        out.append(PayerTransfer(_transfer(rng, next(numbers), day, amount, world.payer[acc].as_py(), center,
                                           purpose), doc, world.account[acc].as_py()))  # fmt: skip
    for text in UNNAMED:
        who = int(rng.integers(len(world.payer)))
        amount = int(rng.integers(5, 60)) * 10_000
        out.append(PayerTransfer(_transfer(rng, next(numbers), day, amount, world.payer[who].as_py(), center,
                                           text.format(**words)), -1, None))  # fmt: skip
    return out


def _transfer(rng: np.random.Generator, number: str, day: date, amount: int, payer: str,
              center: tuple[str, str, str], purpose: str) -> Transfer:  # fmt: skip
    """A citizen's п/п from a personal account (40817, no ИНН) at Sber into the center's account."""
    account = bank_account.with_key("40817810" + "".join(str(d) for d in rng.integers(0, 10, 12)), SBER_BIC)
    return Transfer(number, day, amount, True, (payer, "", account), center, purpose)
