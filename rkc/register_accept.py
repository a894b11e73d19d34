"""The workbench's «accept the register»: a register quarantined because its control totals do not
tie (REGISTER_TOTAL_MISMATCH) is accepted by a senior accountant with a reason (docs/WORKBENCH.md).

The acceptance is recorded with the footer's figures and the lines', and the case is resolved; the
lines are posted by the next night through the one posting path (``rkc.accepted_registers``), which
records the difference as a REGISTER_ACCEPTED line and writes the outcome into the case's history.
No second person is needed: accepting moves no money by itself — the lines are posted as any
register's are, to the ПД they name, and every later problem of theirs is a case of its own. There is
no undo: once posted, the lines are corrected as any register's (``rkc reverse``).
"""

from __future__ import annotations

from sqlalchemy import Engine

from domain.acceptance import Totals, acceptance_note, acceptance_refusal
from domain.cases import Action, CaseStatus, EventKind
from domain.roles import Role
from rkc.config import Config
from rkc.users import SessionUser
from rkc.workbench import ActionRefused, Done, audit_case, locked_case, required_text
from sql import cases as store
from sql.acceptances import acceptance_of, add_acceptance, register_figures
from sql.uow import UnitOfWork


def accept_register(config: Config, engine: Engine, user: SessionUser, case_id: int, reason: str) -> Done:
    """Accept the case's quarantined register with ``reason`` (a senior accountant): its lines are
    posted by the next night, the difference of its totals recorded; the case is resolved."""
    reason = required_text(reason, "причина принятия реестра")
    with UnitOfWork(engine) as uow:
        case = locked_case(uow.conn, user, case_id, Action.ACCEPT_REGISTER)
        register = register_figures(uow.conn, int(case["register_id"])) if case["register_id"] is not None else None
        before = register is not None and acceptance_of(uow.conn, int(register["id"])) is not None
        why = acceptance_refusal(user.role, case["code"], register["status"] if register else None, before)
        if why is not None:
            raise ActionRefused(why[:1].upper() + why[1:] + ".", 403 if user.role != Role.SENIOR else 409)
        totals = Totals(register["declared_count"], register["declared_amount"], int(register["lines"] or 0),
                        int(register["amount_total"] or 0))  # fmt: skip
        note = acceptance_note(totals, user.login, config.today(), reason)
        acceptance = add_acceptance(
            uow.conn, register_id=register["id"], case_id=case_id, accepted_by=user.login, reason=reason, note=note,
            declared_count=register["declared_count"], declared_amount=register["declared_amount"],
            declared_transfer=register["declared_transfer"], declared_commission=register["declared_commission"],
            lines=totals.lines, amount_total=totals.amount,
        )  # fmt: skip
        resolution = f"{note}; строки реестра {register['file']} разнесёт ближайшая ночь"
        after = {"status": CaseStatus.RESOLVED.value, "owner": user.login, "resolution": resolution}
        store.set_case(uow.conn, case_id, **after)
        store.add_events(uow.conn, [{"case_id": case_id, "kind": EventKind.RESOLVED.value, "actor": user.login,
                                     "text": resolution}])  # fmt: skip
        audit_case(uow.conn, user, Action.ACCEPT_REGISTER, case,
                   {**after, "acceptance": acceptance, "register_id": register["id"], "reason": reason})  # fmt: skip
        uow.commit()
    return Done(case_id, "Реестр принят: его строки разнесёт ближайшая ночь.")
