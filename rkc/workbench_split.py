"""The workbench's «split»: a suspense payment's money moved to several ПД, an amount each
(docs/WORKBENCH.md), through the same use case as the resolutions workbook (``rkc.assign``): one
``reclass`` entry and one ``resolution`` row per ПД, each part split over its ПД's service lines.
Undo (``rkc.workbench.undo``) reverses every part."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from domain.cases import Action, CaseStatus, EventKind
from domain.money import format_ru
from domain.parts import MAX_PARTS, read_amount
from rkc.assign import Refused, assign_parts
from rkc.config import Config
from rkc.users import SessionUser
from rkc.workbench import ActionRefused, Done, audit_case, locked_case
from sql import cases as store
from sql.uow import UnitOfWork

MAX_TARGET = 64  # a ЛС or УИП is at most 32 characters; room for the spaces and dashes people type


def split(config: Config, engine: Engine, user: SessionUser, case_id: int, rows: Sequence[tuple[str, str]]) -> Done:
    """Move the case's suspense payment to the ПД of ``rows`` (a УИП or ЛС and an amount typed
    ``1 234,56`` each; empty rows of the form are skipped): at least two ПД, amounts above zero
    summing to exactly what the payment has in suspense, no ПД twice. The case is resolved."""
    asked = _asked(rows)
    with UnitOfWork(engine) as uow:
        case = locked_case(uow.conn, user, case_id, Action.SPLIT)
        if case["payment_id"] is None:
            raise ActionRefused("у случая нет платежа, который можно разделить")
        description = f"разделено бухгалтером {user.login} (workbench, случай {case_id})"
        done = assign_parts(uow.conn, int(case["payment_id"]), asked, resolved_by=user.login, source="workbench",
                            description=description, on=config.today())  # fmt: skip
        if isinstance(done, Refused):
            raise ActionRefused(done.reason[:1].upper() + done.reason[1:] + ".", 422 if done.asked_wrong else 409)
        resolution = "разделён между ПД: " + "; ".join(
            f"{uip} — {format_ru(amount)} (проводка {entry})" for uip, amount, entry in done
        )
        after = {"status": CaseStatus.RESOLVED.value, "owner": user.login, "resolution": resolution}
        store.set_case(uow.conn, case_id, **after)
        store.add_events(uow.conn, [{"case_id": case_id, "kind": EventKind.RESOLVED.value, "actor": user.login,
                                     "text": resolution}])  # fmt: skip
        parts = [{"target_uip": uip, "amount": amount, "entry_id": entry} for uip, amount, entry in done]
        audit_case(uow.conn, user, Action.SPLIT, case, {**after, "parts": parts})
        uow.commit()
    return Done(case_id, f"Платёж {resolution}.", done[-1][2])


def _asked(rows: Sequence[tuple[str, str]]) -> list[tuple[str, int | None]]:
    """The form's rows as (target, kopecks); a row that cannot be read is refused (422)."""
    asked = []
    for target, amount_text in rows:
        target, amount_text = (target or "").strip(), (amount_text or "").strip()
        if not target and not amount_text:
            continue  # the form offers more rows than a split needs
        if not target:
            raise ActionRefused(f"Для суммы «{amount_text[:40]}» не указан ПД: УИП или ЛС.", 422)
        if len(target) > MAX_TARGET:
            raise ActionRefused(f"УИП или ЛС длиннее {MAX_TARGET} символов.", 422)
        amount, why = read_amount(amount_text, target)
        if why is not None:
            raise ActionRefused(why[:1].upper() + why[1:] + ".", 422)
        if amount is None:
            raise ActionRefused(f"Не указана сумма для ПД {target}.", 422)
        asked.append((target, amount))
    if len(asked) < 2:
        raise ActionRefused("Для разделения укажите не менее двух ПД с суммами; на один ПД — «Разнести».", 422)
    if len(asked) > MAX_PARTS:
        raise ActionRefused(f"Не более {MAX_PARTS} ПД.", 422)
    return asked
