"""The accountants' actions on cases, each a use case in one transaction: the case changes, its
history gets a line and the audit log a row with the state before and after. The web pages and
the tests call these; nothing here knows about HTTP.

- ``take``: the case goes in work, owned by the user;
- ``comment``: a line in its history;
- ``assign``: a suspense payment is moved to a ПД through the resolution use case
  (``rkc.resolve``: a reclassification entry), and the case is resolved;
- ``accept``: the case is closed as accepted, with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from domain.cases import Action, CaseStatus, EventKind, refusal
from domain.roles import may_act
from reports.resolutions import ResolutionRequest
from rkc.config import Config
from rkc.resolve import resolve_payment
from rkc.users import SessionUser
from sql import cases as store
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
    value = (value or "").strip()
    if not value:
        raise ActionRefused(f"Укажите: {what}.", 422)
    if len(value) > MAX_TEXT:
        raise ActionRefused(f"Слишком длинно: {what} (не более {MAX_TEXT} символов).", 422)
    return value


def _audit(conn: Connection, user: SessionUser, action: Action, case: dict, after: dict) -> None:
    before = {k: case[k] for k in ("status", "owner", "resolution")}
    audit(conn, user.login, f"case_{action.value}", f"case:{case['id']}", json.dumps(before, ensure_ascii=False),
          json.dumps(after, ensure_ascii=False, default=str))  # fmt: skip
