"""Refunds over HTTP on a generated night (SQLite and PostgreSQL): asked on a payment case's page,
posted at once under the limit (the case resolved when nothing is left), above it waiting for a
senior other than the one who asked on the approvals page; bad input, a viewer, a form without its
CSRF token and another user's request refused; cancelled from the case page; the ledger sound."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from rkc.refunds import refundable
from rkc.users import add_user
from sql.ledger_queries import check_ledger
from tests.payoututil import BIC
from tests.refundutil import payer_account
from tests.webutil import PASSWORD, Night, csrf_of, generated_night, logged_in


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def night(harness: None, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    yield from generated_night(tmp_path_factory.mktemp(f"refund_{request.param}"), request.param)


def _limited(night: Night, limit: int) -> Night:
    """The night served with ``workbench.refund_limit`` = ``limit`` kopecks."""
    workbench = dataclasses.replace(night.config.workbench, refund_limit=limit)
    return dataclasses.replace(night, config=dataclasses.replace(night.config, workbench=workbench))


def _one(night: Night, sql: str, **params: object):  # type: ignore[no-untyped-def]
    with night.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).first()


def _cases(night: Night, split: bool) -> list[tuple[int, int]]:
    """Open cases of a payment in suspense (``split`` false) or split to suppliers, newest first."""
    matched = "IS NOT NULL" if split else "IS NULL"
    with night.engine.connect() as conn:
        found = conn.execute(sa.text(
            "SELECT c.id, c.payment_id FROM work_case c JOIN payment p ON p.id = c.payment_id"
            f" WHERE c.status = 'open' AND p.matched_uip {matched} ORDER BY c.id DESC"
        )).all()  # fmt: skip
    assert found, f"the generated night has open cases of {'split' if split else 'suspense'} payments"
    return [(int(c), int(p)) for c, p in found]


def _form(token: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token, "name": "Иванов Иван Иванович", "account": payer_account(3), "bic": BIC,
            "inn": "", "amount": "", "reason": "оплачено ошибочно", **fields}  # fmt: skip


def _sound(night: Night) -> None:
    with night.engine.connect() as conn:
        assert check_ledger(conn) == []


def test_bad_input_and_roles_are_refused(night: Night) -> None:
    case, payment = _cases(night, split=False)[0]
    left = refundable(night.engine, payment)
    c = logged_in(night, "petrova")
    page = c.get(f"/cases/{case}").text
    assert "Вернуть плательщику" in page and "можно вернуть до" in page
    token = csrf_of(page)
    for fields, status, said in [
        ({"amount": "сто"}, 422, "не распознана"),
        ({"account": payer_account(3)[:19]}, 422, "нужно 20 цифр"),
        ({"bic": "12345"}, 422, "БИК"),
        ({"reason": " "}, 422, "причина возврата"),
        ({"name": ""}, 422, "Укажите получателя"),
        ({"amount": f"{(left + 1) // 100},{(left + 1) % 100:02d}"}, 409, "больше того, что можно вернуть"),
    ]:
        answer = c.post(f"/cases/{case}/refund", data=_form(token, **fields))
        assert answer.status_code == status and said in answer.text.replace("\u00a0", " "), (fields, answer.text[:500])
    assert c.post(f"/cases/{case}/refund", data=_form("не тот")).status_code == 403
    assert c.post("/cases/999999/refund", data=_form(token)).status_code == 404
    assert c.post("/cases/abc/refund", data=_form(token)).status_code == 422
    viewer = logged_in(night, "audit")
    assert "Вернуть плательщику" not in viewer.get(f"/cases/{case}").text
    answer = viewer.post(f"/cases/{case}/refund", data=_form(csrf_of(viewer.get("/cases").text)))
    assert answer.status_code == 403 and "Недостаточно прав" in answer.text
    assert c.post("/refunds/999999/approve", data={"csrf_token": token}).status_code == 404
    assert c.post("/refunds/0/approve", data={"csrf_token": token}).status_code == 422
    assert _one(night, "SELECT COUNT(*) FROM refund")[0] == 0 and refundable(night.engine, payment) == left


def _refund_whole(night: Night) -> tuple[int, int, int]:
    """Refund the newest open suspense case's payment whole from its page, under the limit: the
    case, the payment, and what was left to refund."""
    case, payment = _cases(night, split=False)[0]
    left = refundable(night.engine, payment)
    c = logged_in(_limited(night, left), "petrova")
    token = csrf_of(c.get(f"/cases/{case}").text)
    assert c.post(f"/cases/{case}/refund", data=_form(token)).status_code == 303  # no amount: all of it
    return case, payment, left


def test_under_the_limit_the_whole_suspense_payment_goes_back(night: Night) -> None:
    case, payment, left = _refund_whole(night)
    c = logged_in(night, "petrova")
    refund_id, status, entry = _one(night, "SELECT id, status, entry_id FROM refund WHERE case_id = :c", c=case)
    assert status == "approved" and refundable(night.engine, payment) == 0
    legs = _one(night, "SELECT SUM(CASE WHEN account = 'suspense' THEN amount END), SUM(CASE WHEN account ="
                       " 'refunds_payable' THEN amount END) FROM ledger_posting WHERE entry_id = :e",
                e=entry)  # fmt: skip
    assert tuple(legs) == (left, -left)
    case_status, resolution = _one(night, "SELECT status, resolution FROM work_case WHERE id = :i", i=case)
    assert case_status == "resolved" and f"заявке № {refund_id}" in resolution
    page = c.get(f"/cases/{case}").text
    assert "Возвраты плательщику" in page and "утверждён, ждёт поручения" in page
    assert _one(night, "SELECT actor, action FROM audit_log WHERE subject = :s", s=f"refund:{refund_id}") == (
        "petrova", "refund_request")  # fmt: skip
    _sound(night)


def test_above_the_limit_a_second_senior_approves_on_the_approvals_page(night: Night) -> None:
    case, payment = _cases(night, split=True)[0]
    left = refundable(night.engine, payment)
    assert left > 2
    strict = _limited(night, 0)
    petrova, smirnov = logged_in(strict, "petrova"), logged_in(strict, "smirnov")
    token = csrf_of(petrova.get(f"/cases/{case}").text)
    part = left // 2
    asked = petrova.post(f"/cases/{case}/refund", data=_form(token, amount=f"{part // 100},{part % 100:02d}"))
    assert asked.status_code == 303
    refund_id = int(_one(night, "SELECT id FROM refund WHERE case_id = :c AND status = 'requested'", c=case)[0])
    assert _one(night, "SELECT status, owner FROM work_case WHERE id = :i", i=case) == ("in_work", "petrova")
    assert refundable(night.engine, payment) == left - part  # the request holds its amount
    own = petrova.post(f"/refunds/{refund_id}/approve", data={"csrf_token": token})
    assert own.status_code == 403 and "только старший" in own.text
    listing = smirnov.get("/write-offs").text
    assert "Возвраты плательщикам, ждущие утверждения" in listing and f"/refunds/{refund_id}/approve" in listing
    assert f"/refunds/{refund_id}/approve" not in petrova.get("/write-offs").text
    senior = csrf_of(listing)
    done = smirnov.post(f"/refunds/{refund_id}/approve", data={"csrf_token": senior})
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{case}"
    status, decided_by, entry = _one(night, "SELECT status, decided_by, entry_id FROM refund WHERE id = :i",
                                     i=refund_id)  # fmt: skip
    assert (status, decided_by) == ("approved", "smirnov")
    with night.engine.connect() as conn:
        legs = conn.execute(sa.text("SELECT account, amount FROM ledger_posting WHERE entry_id = :e"),
                            {"e": entry}).all()  # fmt: skip
    assert sum(a for _, a in legs) == 0 and dict(legs)["refunds_payable"] == -part
    assert all(acc.startswith("supplier:") for acc, a in legs if acc != "refunds_payable")  # pro rata to its split
    assert _one(night, "SELECT status FROM work_case WHERE id = :i", i=case)[0] == "in_work"  # something is left
    assert "возврат плательщику" in smirnov.get(f"/cases/{case}").text
    assert smirnov.post(f"/refunds/{refund_id}/approve", data={"csrf_token": senior}).status_code == 409
    # the senior asks in turn and is refused his own approval; a second request refused with a note
    asked = smirnov.post(f"/cases/{case}/refund", data=_form(senior, amount="0,01"))
    assert asked.status_code == 303
    second = int(_one(night, "SELECT id FROM refund WHERE case_id = :c AND status = 'requested'", c=case)[0])
    own = smirnov.post(f"/refunds/{second}/approve", data={"csrf_token": senior})
    assert own.status_code == 403 and "нужен второй сотрудник" in own.text
    assert smirnov.post(f"/refunds/{second}/refuse", data={"csrf_token": senior, "note": "нет"}).status_code == 403
    add_user(night.engine, "orlov", "senior", PASSWORD)
    orlov = logged_in(strict, "orlov")
    other = csrf_of(orlov.get(f"/cases/{case}").text)
    assert orlov.post(f"/refunds/{second}/refuse", data={"csrf_token": other, "note": " "}).status_code == 422
    assert orlov.post(f"/refunds/{second}/refuse", data={"csrf_token": other, "note": "счёт не подтверждён"}
                      ).status_code == 303  # fmt: skip
    assert _one(night, "SELECT status, decided_by FROM refund WHERE id = :i", i=second) == ("refused", "orlov")
    assert "отказано: счёт не подтверждён" in orlov.get(f"/cases/{case}").text
    with night.engine.connect() as conn:
        actions = [r[0] for r in conn.execute(sa.text("SELECT action FROM audit_log WHERE subject IN (:a, :b)"
                                                      " ORDER BY id"), {"a": f"refund:{refund_id}",
                                                                         "b": f"refund:{second}"})]  # fmt: skip
    assert actions == ["refund_request", "refund_approve", "refund_request", "refund_refuse"]
    _sound(night)


def test_cancel_from_the_case_page_puts_the_case_back_in_work(night: Night) -> None:
    """A whole suspense refund (the second test's, or one made here when it ran apart) is cancelled:
    its money is back in suspense."""
    case, payment = _refunded_case(night)
    refund_id = int(_one(night, "SELECT id FROM refund WHERE case_id = :c AND status = 'approved'", c=case)[0])
    c = logged_in(night, "petrova")
    page = c.get(f"/cases/{case}").text
    assert f"/refunds/{refund_id}/cancel" in page
    token = csrf_of(page)
    assert c.post(f"/refunds/{refund_id}/cancel", data={"csrf_token": token, "reason": ""}).status_code == 422
    assert c.post(f"/refunds/{refund_id}/cancel", data={"csrf_token": token, "reason": "плательщик нашёл ЛС"}
                  ).status_code == 303  # fmt: skip
    assert _one(night, "SELECT status FROM refund WHERE id = :i", i=refund_id)[0] == "cancelled"
    assert _one(night, "SELECT status, resolution FROM work_case WHERE id = :i", i=case) == ("in_work", None)
    assert refundable(night.engine, payment) > 0
    assert c.post(f"/refunds/{refund_id}/cancel", data={"csrf_token": token, "reason": "ещё"}).status_code == 409
    _sound(night)


def _refunded_case(night: Night) -> tuple[int, int]:
    """A case whose suspense payment was refunded whole and the refund approved."""
    query = ("SELECT c.id, c.payment_id FROM work_case c JOIN refund r ON r.case_id = c.id"
             " WHERE c.status = 'resolved' AND r.status = 'approved' ORDER BY c.id")  # fmt: skip
    found = _one(night, query)
    if found is None:  # this test run alone: make one as the second test does
        _refund_whole(night)
        found = _one(night, query)
    return int(found[0]), int(found[1])
