"""The accountants' actions on cases, each a use case in one transaction: the case changes, its
history gets a line and the audit log a row with the state before and after. The web pages and
the tests call these; nothing here knows about HTTP.

- ``take``: the case goes in work, owned by the user;
- ``comment``: a line in its history;
- ``assign``: a suspense payment is moved to a ПД through the resolution use case
  (``rkc.resolve``: a reclassification entry), and the case is resolved;
- ``accept``: the case is closed as accepted, with the reason;
- ``write_off``: a suspense payment's money is written off (Dr suspense, Cr write_off:rkc) with a
  reason; above ``workbench.write_off_limit`` the request waits and ``approve_write_off`` or
  ``refuse_write_off`` by a senior accountant other than the one who asked decides it (four eyes);
- ``undo``: a write-off or an assignment to a ПД (every part of a split) is reversed (``reversal``
  entries) and its case is in work again.

Splitting a payment across several ПД is ``rkc.workbench_split``, accepting a register whose
totals do not tie ``rkc.register_accept``: they use the helpers at the end of this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from domain.cases import ACTIVE, Action, CaseStatus, EventKind, refusal
from domain.money import format_ru
from domain.roles import may_act
from domain.writeoff import WriteOffStatus, decision_refusal, needs_approval
from reports.resolutions import ResolutionRequest
from rkc.config import Config
from rkc.resolve import resolve_payment
from rkc.users import SessionUser
from sql import cases as store
from sql import write_offs as offs
from sql.entries import LedgerError, reverse_entry, suspense_amount
from sql.resolutions import drop_resolution, resolution_rows
from sql.uow import UnitOfWork
from sql.users import audit

MAX_TEXT = 2000  # characters of a comment or a reason


class ActionRefused(Exception):
    """An action refused (the message is Russian, shown to the user); ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Done:
    """What an action did, for the page that follows it."""

    case_id: int
    message: str
    entry_id: int | None = None


def take(engine: Engine, user: SessionUser, case_id: int) -> Done:
    """Take a case in work (from the queue, or over from a colleague)."""
    with UnitOfWork(engine) as uow:
        case = _case(uow.conn, user, case_id, Action.TAKE)
        store.set_case(uow.conn, case_id, status=CaseStatus.IN_WORK.value, owner=user.login)
        store.add_events(uow.conn, [{"case_id": case_id, "kind": EventKind.TAKEN.value, "actor": user.login,
                                     "text": f"взят в работу (был: {case['owner'] or 'никто'})"}])  # fmt: skip
        _audit(uow.conn, user, Action.TAKE, case, {"status": CaseStatus.IN_WORK.value, "owner": user.login})
        uow.commit()
    return Done(case_id, "Случай взят в работу.")


def comment(engine: Engine, user: SessionUser, case_id: int, text: str) -> Done:
    """Add a comment to a case's history."""
    text = _text(text, "комментарий")
    with UnitOfWork(engine) as uow:
        case = _case(uow.conn, user, case_id, Action.COMMENT)
        store.add_events(uow.conn, [{"case_id": case_id, "kind": EventKind.COMMENT.value, "actor": user.login,
                                     "text": text}])  # fmt: skip
        _audit(uow.conn, user, Action.COMMENT, case, {"comment": text})
        uow.commit()
    return Done(case_id, "Комментарий добавлен.")


def assign(config: Config, engine: Engine, user: SessionUser, case_id: int, target: str) -> Done:
    """Move the case's suspense payment to the ПД named by ``target`` (a УИП, or a ЛС: its latest
    ПД) with a reclassification entry dated today; the case is resolved."""
    target = _text(target, "УИП или ЛС")
    with UnitOfWork(engine) as uow:
        case = _case(uow.conn, user, case_id, Action.ASSIGN)
        if case["payment_id"] is None:
            raise ActionRefused("у случая нет платежа, который можно разнести")
        request = ResolutionRequest(int(case["payment_id"]), target, user.login, "workbench", case_id)
        reason = resolve_payment(uow.conn, request, f"workbench, случай {case_id}", config.today())
        if reason is not None:
            raise ActionRefused(reason)
        entry = store.resolution_of(uow.conn, int(case["payment_id"]))
        resolution = f"разнесён на ПД {entry.target_uip} (проводка {entry.entry_id})"
        after = {"status": CaseStatus.RESOLVED.value, "owner": user.login, "resolution": resolution}
        store.set_case(uow.conn, case_id, **after)
        store.add_events(uow.conn, [{"case_id": case_id, "kind": EventKind.RESOLVED.value, "actor": user.login,
                                     "text": resolution}])  # fmt: skip
        _audit(uow.conn, user, Action.ASSIGN, case, {**after, "target": target, "entry_id": entry.entry_id})
        uow.commit()
    return Done(case_id, f"Платёж {resolution}.", entry.entry_id)


def accept(engine: Engine, user: SessionUser, case_id: int, reason: str) -> Done:
    """Close a case as accepted, with the reason."""
    reason = _text(reason, "причина")
    with UnitOfWork(engine) as uow:
        case = _case(uow.conn, user, case_id, Action.ACCEPT)
        after = {"status": CaseStatus.ACCEPTED.value, "owner": user.login, "resolution": reason}
        store.set_case(uow.conn, case_id, **after)
        store.add_events(uow.conn, [{"case_id": case_id, "kind": EventKind.ACCEPTED.value, "actor": user.login,
                                     "text": reason}])  # fmt: skip
        _audit(uow.conn, user, Action.ACCEPT, case, after)
        uow.commit()
    return Done(case_id, "Случай закрыт как принятый.")


def write_off(config: Config, engine: Engine, user: SessionUser, case_id: int, reason: str) -> Done:
    """Ask to write off the case's suspense payment's money with ``reason``: up to
    ``workbench.write_off_limit`` it is posted at once and the case resolved; above it the request
    waits for a senior accountant other than the one who asked, and the case stays in work."""
    reason = _text(reason, "причина списания")
    with UnitOfWork(engine) as uow:
        case = _case(uow.conn, user, case_id, Action.WRITE_OFF)
        if case["payment_id"] is None:
            raise ActionRefused("у случая нет платежа, который можно списать")
        if any(r["status"] == WriteOffStatus.PENDING for r in offs.case_requests(uow.conn, case_id)):
            raise ActionRefused("По случаю уже есть заявка на списание, ждущая утверждения.")
        amount = suspense_amount(uow.conn, int(case["payment_id"]))
        if amount <= 0:
            raise ActionRefused("Денег этого платежа в невыясненных нет: списывать нечего.")
        waits = needs_approval(amount, config.workbench.write_off_limit)
        request_id = offs.add_request(
            uow.conn, case_id=case_id, payment_id=int(case["payment_id"]), amount=amount, reason=reason,
            status=(WriteOffStatus.PENDING if waits else WriteOffStatus.APPROVED).value, requested_by=user.login,
        )  # fmt: skip
        if waits:
            limit = format_ru(config.workbench.write_off_limit)
            text = (f"заявка № {request_id}: списать {format_ru(amount)} (выше лимита {limit}), "
                    f"ждёт старшего бухгалтера; причина: {reason}")  # fmt: skip
            after = {"status": CaseStatus.IN_WORK.value, "owner": user.login, "resolution": case["resolution"]}
            store.set_case(uow.conn, case_id, status=after["status"], owner=user.login)
            store.add_events(uow.conn, [{"case_id": case_id, "kind": EventKind.WRITE_OFF_ASKED.value,
                                         "actor": user.login, "text": text}])  # fmt: skip
            _audit(uow.conn, user, Action.WRITE_OFF, case,
                   {**after, "write_off": request_id, "amount": amount, "reason": reason, "pending": True})  # fmt: skip
            uow.commit()
            return Done(case_id, f"Заявка на списание № {request_id} ждёт утверждения старшего бухгалтера.")
        entry_id, resolution = _post_write_off(uow.conn, config, case, request_id, amount, reason, None)
        _audit(uow.conn, user, Action.WRITE_OFF, case,
               {"status": CaseStatus.RESOLVED.value, "owner": user.login, "resolution": resolution,
                "write_off": request_id, "amount": amount, "reason": reason, "entry_id": entry_id})  # fmt: skip
        uow.commit()
    return Done(case_id, f"Платёж {resolution}.", entry_id)


def approve_write_off(config: Config, engine: Engine, user: SessionUser, request_id: int) -> Done:
    """Approve a pending write-off (a senior accountant, not the one who asked): it is posted and
    its case resolved. Refused if the payment's suspense money changed since it was asked."""
    with UnitOfWork(engine) as uow:
        request, case = _pending(uow.conn, user, request_id)
        held = suspense_amount(uow.conn, int(request["payment_id"]))
        if held != request["amount"]:
            raise ActionRefused(f"В невыясненных по платежу теперь {format_ru(held)}, а не "
                                f"{format_ru(request['amount'])}: откажите в заявке и подайте новую.")  # fmt: skip
        entry_id, resolution = _post_write_off(uow.conn, config, case, request_id, request["amount"],
                                               request["reason"], user.login)  # fmt: skip
        before = {k: case[k] for k in ("status", "owner", "resolution")}
        audit(uow.conn, user.login, "write_off_approve", f"case:{case['id']}",
              json.dumps({**before, "write_off": request_id, "requested_by": request["requested_by"]},
                         ensure_ascii=False),
              json.dumps({"status": CaseStatus.RESOLVED.value, "resolution": resolution, "write_off": request_id,
                          "amount": request["amount"], "entry_id": entry_id}, ensure_ascii=False))  # fmt: skip
        uow.commit()
    return Done(int(case["id"]), f"Списание утверждено: платёж {resolution}.", entry_id)


def refuse_write_off(engine: Engine, user: SessionUser, request_id: int, note: str) -> Done:
    """Refuse a pending write-off with ``note`` (a senior accountant, not the one who asked); its
    case stays in work."""
    note = _text(note, "причина отказа")
    with UnitOfWork(engine) as uow:
        request, case = _pending(uow.conn, user, request_id)
        offs.decide(uow.conn, request_id, status=WriteOffStatus.REFUSED.value, decided_by=user.login,
                    decision_note=note)  # fmt: skip
        store.add_events(uow.conn, [{"case_id": case["id"], "kind": EventKind.WRITE_OFF_REFUSED.value,
                                     "actor": user.login, "text": f"заявка № {request_id}: {note}"}])  # fmt: skip
        audit(uow.conn, user.login, "write_off_refuse", f"case:{case['id']}",
              json.dumps({"write_off": request_id, "status": request["status"]}, ensure_ascii=False),
              json.dumps({"write_off": request_id, "status": WriteOffStatus.REFUSED.value, "note": note},
                         ensure_ascii=False))  # fmt: skip
        uow.commit()
    return Done(int(case["id"]), f"В списании по заявке № {request_id} отказано.")


def undo(config: Config, engine: Engine, user: SessionUser, case_id: int, reason: str) -> Done:
    """Undo a resolved case's write-off or assignment to a ПД with ``reason``: its entry is reversed
    (dated today), the request marked undone or the resolution forgotten, and the case is in work
    again, owned by the user; the payment's money is back in suspense."""
    reason = _text(reason, "причина отмены")
    with UnitOfWork(engine) as uow:
        case = _case(uow.conn, user, case_id, Action.UNDO)
        written_off = offs.posted(uow.conn, case_id)
        parts = resolution_rows(uow.conn, int(case["payment_id"])) if case["payment_id"] is not None else []
        if written_off is not None and written_off["entry_id"] is not None:
            entries, what = [int(written_off["entry_id"])], f"списание по заявке № {written_off['id']}"
        elif parts:  # one entry per ПД: a payment split across several has several
            entries = list(dict.fromkeys(int(r["entry_id"]) for r in parts))
            what = "разнесение на ПД " + ", ".join(str(r["target_uip"]) for r in parts)
        else:
            raise ActionRefused("Отменить можно только списание или разнесение на ПД.")
        reversals = []
        for entry_id in entries:
            try:
                reversal = reverse_entry(uow.conn, entry_id, on=config.today(),
                                         reason=f"отмена решения, случай {case_id}: {reason}")  # fmt: skip
            except LedgerError as exc:
                raise ActionRefused(f"Проводку {entry_id} сторнировать нельзя: {exc}.") from exc
            if reversal is None:
                raise ActionRefused(f"Проводка {entry_id} уже сторнирована.")
            reversals.append(reversal)
        if written_off is not None:
            offs.undone(uow.conn, int(written_off["id"]), reversals[0])
        else:
            drop_resolution(uow.conn, int(case["payment_id"]))
        pairs = ", ".join(f"сторно {r} проводки {e}" for r, e in zip(reversals, entries, strict=True))
        text = f"{what} отменено ({pairs}): {reason}"
        after = {"status": CaseStatus.IN_WORK.value, "owner": user.login, "resolution": None}
        store.set_case(uow.conn, case_id, **after)
        store.add_events(uow.conn, [{"case_id": case_id, "kind": EventKind.UNDONE.value, "actor": user.login,
                                     "text": text}])  # fmt: skip
        undone = {"write_off": written_off["id"]} if written_off is not None else {"resolution": parts[0]}
        if len(parts) > 1:
            undone["parts"] = parts
        _audit(uow.conn, user, Action.UNDO, case,
               {**after, **undone, "entry_id": entries[0], "reversal_entry_id": reversals[0], "reason": reason,
                "entry_ids": entries, "reversal_entry_ids": reversals})  # fmt: skip
        uow.commit()
    return Done(case_id, f"Решение отменено: сторно {', '.join(map(str, reversals))}.", reversals[-1])


def _pending(conn: Connection, user: SessionUser, request_id: int) -> tuple[dict, dict]:
    """A pending request and its active case, both locked, once ``user`` may decide it."""
    request = offs.get_request(conn, request_id, lock=True)
    if request is None:
        raise ActionRefused(f"Заявка на списание № {request_id} не найдена.", 404)
    if (why := decision_refusal(user.role, request["requested_by"], user.login, request["status"])) is not None:
        decided = request["status"] != WriteOffStatus.PENDING
        raise ActionRefused(why[:1].upper() + why[1:] + ".", 409 if decided else 403)
    case = store.get_case(conn, int(request["case_id"]), lock=True)
    if case is None or case["status"] not in {s.value for s in ACTIVE}:
        raise ActionRefused("Случай заявки уже закрыт: откажите в заявке.")
    return request, case


def _post_write_off(conn: Connection, config: Config, case: dict, request_id: int, amount: int, reason: str,
                    approver: str | None) -> tuple[int, str]:  # fmt: skip
    """Post a request's entry, mark it approved, resolve its case; the entry id and the resolution."""
    entry_id = offs.post_write_off(conn, request_id, int(case["payment_id"]), amount, on=config.today(),
                                   description=f"списание, случай {case['id']}: {reason}")  # fmt: skip
    if entry_id is None:
        raise ActionRefused(f"Заявка на списание № {request_id} уже проведена.")
    offs.decide(conn, request_id, status=WriteOffStatus.APPROVED.value, decided_by=approver, entry_id=entry_id)
    who = f", утвердил {approver}" if approver else ""
    resolution = f"списан в доход РКЦ: {format_ru(amount)} (проводка {entry_id}{who}); причина: {reason}"
    store.set_case(conn, int(case["id"]), status=CaseStatus.RESOLVED.value, resolution=resolution)
    store.add_events(conn, [{"case_id": case["id"], "kind": EventKind.RESOLVED.value,
                             "actor": approver or case["owner"] or "", "text": resolution}])  # fmt: skip
    return entry_id, resolution


def _case(conn: Connection, user: SessionUser, case_id: int, action: Action) -> dict:
    """The case, locked, once the user may do ``action`` to it; else ``ActionRefused``."""
    if not may_act(user.role):
        raise ActionRefused("Недостаточно прав: ваша роль только для просмотра.", 403)
    case = store.get_case(conn, case_id, lock=True)
    if case is None:
        raise ActionRefused(f"Случай {case_id} не найден.", 404)
    if (why := refusal(case["status"], action, case["code"])) is not None:
        raise ActionRefused(why[:1].upper() + why[1:] + ".")
    return case


def _text(value: str, what: str) -> str:
    return required_text(value, what)


def _audit(conn: Connection, user: SessionUser, action: Action, case: dict, after: dict) -> None:
    before = {k: case[k] for k in ("status", "owner", "resolution")}
    audit(conn, user.login, f"case_{action.value}", f"case:{case['id']}", json.dumps(before, ensure_ascii=False),
          json.dumps(after, ensure_ascii=False, default=str))  # fmt: skip


def locked_case(conn: Connection, user: SessionUser, case_id: int, action: Action) -> dict:
    """The case, locked, once ``user`` may do ``action`` to it; else ``ActionRefused`` (for the use
    cases of the workbench kept in modules of their own)."""
    return _case(conn, user, case_id, action)


def required_text(value: str, what: str, refused: type[ActionRefused] = ActionRefused) -> str:
    """``value`` trimmed, refused (``refused``, 422) when empty or longer than ``MAX_TEXT``; ``what``
    names the field in the Russian message."""
    value = (value or "").strip()
    if not value:
        raise refused(f"Укажите: {what}.", 422)
    if len(value) > MAX_TEXT:
        raise refused(f"Слишком длинно: {what} (не более {MAX_TEXT} символов).", 422)
    return value


def audit_case(conn: Connection, user: SessionUser, action: Action, case: dict, after: dict) -> None:
    """The audit row of ``action`` on ``case``: its status, owner and resolution before, ``after``."""
    _audit(conn, user, action, case, after)
