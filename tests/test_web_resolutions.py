"""Splitting a suspense payment across several ПД and accepting a register whose totals do not tie,
over HTTP on a generated night (SQLite and PostgreSQL): bad input refused and nothing changed, the
entries per part, undo, the Excel round trip with amounts, and the accepted register posted by the
next night with its difference recorded.

The module's night has two suspense payments: each test first puts the case it works on back where
it needs it (``fresh_case``), so any test may run alone or in any order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from domain.money import format_ru
from reports.run_report import PART_AMOUNT_HEADER, PAYMENT_ID_HEADER, RESOLVER_HEADER, TARGET_HEADER
from rkc.cases import sync_cases
from rkc.resolve import apply_resolutions
from rkc.verify import verify
from sql.entries import suspense_amount
from sql.ledger_queries import check_ledger
from tests.webutil import Night, client, csrf_of, fresh_case, generated_night, logged_in, run_night


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def night(harness: None, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    yield from generated_night(tmp_path_factory.mktemp(f"resolutions_{request.param}"), request.param)


def _one(night: Night, sql: str, **params: object):  # type: ignore[no-untyped-def]
    with night.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).first()


def _all(night: Night, sql: str, **params: object) -> list:
    with night.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]


def _suspense_case(night: Night, which: int) -> tuple[int, int]:
    rows = _all(night, "SELECT id, payment_id FROM work_case WHERE code = 'UNKNOWN_ACCOUNT' AND payment_id IS NOT NULL"
                       " ORDER BY id")  # fmt: skip
    assert len(rows) >= 2, "the generated night has two suspense payments"
    case, payment = rows[which]
    fresh_case(night, int(case))
    return int(case), int(payment)


def _held(night: Night, payment: int) -> int:
    with night.engine.connect() as conn:
        return suspense_amount(conn, payment)


def _targets(night: Night) -> tuple[str, str, str]:
    """A ЛС with one ПД of its latest period, that ПД's УИП, and another ПД's УИП."""
    account, uip = _one(night, "SELECT d.account, MIN(d.uip) FROM payment_document d GROUP BY d.account"
                               " HAVING COUNT(*) = 1 ORDER BY d.account")  # fmt: skip
    other = _one(night, "SELECT MIN(uip) FROM payment_document WHERE account <> :a", a=account)[0]
    return str(account), str(uip), str(other)


def _ledger_clean(night: Night) -> None:
    with night.engine.connect() as conn:
        assert check_ledger(conn) == []


def _money(kopecks: int) -> str:
    return format_ru(kopecks).replace("\xa0", " ")


def test_split_refuses_bad_input_and_changes_nothing(night: Night) -> None:
    case, payment = _suspense_case(night, 0)
    held = _held(night, payment)
    account, uip, other = _targets(night)
    c = logged_in(night, "petrova")
    page = c.get(f"/cases/{case}").text
    token = csrf_of(page)
    assert f'action="/cases/{case}/split"' in page and _split_rows(page, case) == 3
    assert _split_rows(c.get(f"/cases/{case}", params={"rows": 5}).text, case) == 5
    assert c.get(f"/cases/{case}", params={"rows": 999}).status_code == 422

    def post(form: dict, who=c, case_id: object = case):  # type: ignore[no-untyped-def]
        return who.post(f"/cases/{case_id}/split", data=form)

    half = held // 2
    good = {"csrf_token": token, "target": [account, other], "amount": [_money(half), _money(held - half)]}
    cases = [
        ("no csrf", {**good, "csrf_token": ""}, 403, "CSRF"),
        ("forged csrf", {**good, "csrf_token": "x"}, 403, "CSRF"),
        ("one ПД", {**good, "target": [account, ""], "amount": [_money(held), ""]}, 422, "не менее двух"),
        ("not summing", {**good, "amount": [_money(half), _money(held - half - 1)]}, 422, "меньше"),
        ("too much", {**good, "amount": [_money(half), _money(held - half + 100)]}, 422, "больше"),
        ("zero part", {**good, "amount": ["0,00", _money(held)]}, 422, "больше нуля"),
        ("not an amount", {**good, "amount": ["сто", _money(held)]}, 422, "не распознана"),
        ("amount without ПД", {**good, "target": [account, ""]}, 422, "не указан ПД"),
        ("ПД without amount", {**good, "amount": [_money(held), ""]}, 422, "Не указана сумма"),
        ("unknown ПД", {**good, "target": [account, "НЕТ-ТАКОГО"]}, 422, "ПД с УИП или ЛС"),
        ("ЛС and its УИП", {**good, "target": [account, uip]}, 422, "указан дважды"),
        ("too many rows", {**good, "target": ["x"] * 60, "amount": ["1,00"] * 60}, 422, "Слишком много"),
    ]
    for name, form, status, text in cases:
        answer = post(form)
        assert answer.status_code == status and text in answer.text, name
    viewer = logged_in(night, "audit")
    assert post({**good, "csrf_token": csrf_of(viewer.get("/cases").text)}, who=viewer).status_code == 403
    assert post(good, case_id=999999).status_code == 404
    assert post(good, case_id="abc").status_code == 422
    assert client(night).post(f"/cases/{case}/split", data=good).status_code == 401
    other_case = _one(night, "SELECT id FROM work_case WHERE code = 'MALFORMED_LINE' AND status IN ('open', 'in_work')")
    assert post(good, case_id=other_case[0]).status_code == 409
    assert _held(night, payment) == held
    assert _one(night, "SELECT COUNT(*) FROM resolution WHERE payment_id = :p", p=payment)[0] == 0
    assert _one(night, "SELECT status FROM work_case WHERE id = :i", i=case)[0] in ("open", "in_work")
    _ledger_clean(night)


def test_split_posts_one_entry_per_part_and_undo_reverses_them_all(night: Night) -> None:
    case, payment = _suspense_case(night, 0)
    held = _held(night, payment)
    account, uip, other = _targets(night)
    c = logged_in(night, "petrova")
    token = csrf_of(c.get(f"/cases/{case}").text)
    first = held // 3
    form = {"csrf_token": token, "target": [account, "", other], "amount": [_money(first), "", _money(held - first)]}
    assert c.post(f"/cases/{case}/split", data=form).status_code == 303
    parts = _all(night, "SELECT target_uip, amount, entry_id, resolved_by, source_file FROM resolution"
                        " WHERE payment_id = :p ORDER BY id", p=payment)  # fmt: skip
    assert [(t, a, who, src) for t, a, _, who, src in parts] == [
        (uip, first, "petrova", "workbench"), (other, held - first, "petrova", "workbench")]  # fmt: skip
    for target, amount, entry, _, _ in parts:  # each part split over its own ПД's suppliers
        legs = _all(night, "SELECT account, amount FROM ledger_posting WHERE entry_id = :e", e=entry)
        assert dict(legs).get("suspense") == amount and sum(a for _, a in legs) == 0
        suppliers = {a[len("supplier:"):] for a, _ in legs if a.startswith("supplier:")}
        billed = {i for (i,) in _all(night, "SELECT DISTINCT supplier_inn FROM service_line WHERE uip = :u", u=target)}
        assert suppliers and suppliers <= billed
        version = _one(night, "SELECT document_version FROM ledger_entry WHERE id = :e", e=entry)[0]
        assert version == _one(night, "SELECT version FROM payment_document WHERE uip = :u", u=target)[0]
    keys = [k for (k,) in _all(night, "SELECT source_key FROM ledger_entry WHERE payment_id = :p AND kind = 'reclass'"
                                      " ORDER BY id", p=payment)]  # fmt: skip
    assert len(keys) >= 2 and _held(night, payment) == 0
    status, resolution = _one(night, "SELECT status, resolution FROM work_case WHERE id = :i", i=case)
    assert status == "resolved" and resolution.startswith("разделён между ПД") and uip in resolution
    audit = _one(night, "SELECT action, after FROM audit_log WHERE subject = :s ORDER BY id DESC", s=f"case:{case}")
    assert audit[0] == "case_split" and [p["amount"] for p in json.loads(audit[1])["parts"]] == [first, held - first]
    again = c.post(f"/cases/{case}/split", data=form)
    assert again.status_code == 409 and "уже закрыт" in again.text
    _ledger_clean(night)

    assert c.post(f"/cases/{case}/undo", data={"csrf_token": token, "reason": "не те ПД"}).status_code == 303
    reversed_ = _all(night, "SELECT reverses_id FROM ledger_entry WHERE kind = 'reversal' AND reverses_id IN"
                            " (:a, :b)", a=parts[0][2], b=parts[1][2])  # fmt: skip
    assert len(reversed_) == 2 and _held(night, payment) == held
    assert _one(night, "SELECT COUNT(*) FROM resolution WHERE payment_id = :p", p=payment)[0] == 0
    last = _one(night, "SELECT after FROM audit_log WHERE subject = :s ORDER BY id DESC", s=f"case:{case}")
    undo = json.loads(last[0])
    assert sorted(undo["entry_ids"]) == sorted(e for _, _, e, _, _ in parts) and len(undo["parts"]) == 2
    # split again: the next keys of the payment
    assert c.post(f"/cases/{case}/split", data=form).status_code == 303
    later = [k for (k,) in _all(night, "SELECT source_key FROM ledger_entry WHERE payment_id = :p AND kind = 'reclass'"
                                       " ORDER BY id", p=payment)]  # fmt: skip
    assert later[-2:] == [f"reclass:{payment}:{len(keys) + 1}", f"reclass:{payment}:{len(keys) + 2}"]
    assert _held(night, payment) == 0
    _ledger_clean(night)


def _workbook(night: Night, name: str, rows: list[list[object]]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append([PAYMENT_ID_HEADER, TARGET_HEADER, PART_AMOUNT_HEADER, RESOLVER_HEADER])
    for row in rows:
        ws.append(row)
    folder = night.config.resolutions_inbox
    folder.mkdir(parents=True, exist_ok=True)
    wb.save(folder / name)


def test_a_workbook_splits_with_amounts_through_the_same_rules(night: Night) -> None:
    case, payment = _suspense_case(night, 1)
    held = _held(night, payment)
    account, uip, other = _targets(night)
    run_date = night.config.today()
    _workbook(night, "bad.xlsx", [[payment, account, _money(100), "Петрова"], [payment, other, _money(100), "Петрова"]])
    summary = apply_resolutions(night.config, night.engine, run_date)
    assert summary.applied == 0 and len(summary.rejected) == 1
    assert summary.rejected[0].startswith("bad.xlsx:2,3: платёж") and "меньше" in summary.rejected[0]
    assert _held(night, payment) == held
    part = held - 12345
    # the first amount typed into a number cell (a float for openpyxl), the second as text
    _workbook(night, "good.xlsx", [[payment, account, 123.45, "Петрова"], [payment, other, _money(part), "Петрова"]])
    summary = apply_resolutions(night.config, night.engine, run_date)
    assert (summary.applied, summary.rejected) == (1, [])
    assert _all(night, "SELECT target_uip, amount, source_file FROM resolution WHERE payment_id = :p ORDER BY id",
                p=payment) == [(uip, 12345, "good.xlsx"), (other, part, "good.xlsx")]  # fmt: skip
    assert _held(night, payment) == 0
    sync_cases(night.config, night.engine, run_date)  # the open case follows the workbook, once
    status, resolution = _one(night, "SELECT status, resolution FROM work_case WHERE id = :i", i=case)
    assert status == "resolved" and "разделён между ПД" in resolution and "good.xlsx" in resolution
    events = _all(night, "SELECT COUNT(*) FROM case_event WHERE case_id = :i AND text LIKE '%good.xlsx%'", i=case)
    assert events == [(1,)]
    _ledger_clean(night)


def _register_case(night: Night) -> tuple[int, int]:
    row = _one(night, "SELECT id, register_id FROM work_case WHERE code = 'REGISTER_TOTAL_MISMATCH'")
    assert row is not None, "the generated night quarantines the register with a spoilt footer"
    return int(row[0]), int(row[1])


def _refused_bad_input(night: Night, case: int) -> None:
    """Accepting the register refused to an accountant, a viewer, without CSRF or a reason, on an
    unknown or wrong case, without a session: nothing recorded."""
    petrova, smirnov, viewer = (logged_in(night, u) for u in ("petrova", "smirnov", "audit"))
    page = smirnov.get(f"/cases/{case}").text
    assert "Принять реестр" in page and "Принять реестр" not in petrova.get(f"/cases/{case}").text
    token = csrf_of(page)
    form = {"csrf_token": token, "reason": "агент подтвердил строки письмом"}
    accountant = petrova.post(f"/cases/{case}/accept_register", data={**form, "csrf_token": csrf_of(petrova.get(
        f"/cases/{case}").text)})  # fmt: skip
    assert accountant.status_code == 403 and "старший бухгалтер" in accountant.text
    viewer_token = csrf_of(viewer.get("/cases").text)
    assert viewer.post(f"/cases/{case}/accept_register", data={**form, "csrf_token": viewer_token}).status_code == 403
    assert smirnov.post(f"/cases/{case}/accept_register", data={**form, "csrf_token": ""}).status_code == 403
    assert smirnov.post(f"/cases/{case}/accept_register", data={**form, "reason": " "}).status_code == 422
    assert smirnov.post("/cases/999999/accept_register", data=form).status_code == 404
    assert smirnov.post("/cases/abc/accept_register", data=form).status_code == 422
    suspense, _ = _suspense_case(night, 0)
    wrong = smirnov.post(f"/cases/{suspense}/accept_register", data=form)
    assert wrong.status_code == 409 and "итоги которого не сходятся" in wrong.text
    assert client(night).post(f"/cases/{case}/accept_register", data=form).status_code == 401
    assert _one(night, "SELECT COUNT(*) FROM register_acceptance")[0] == 0
    assert _one(night, "SELECT status FROM work_case WHERE id = :i", i=case)[0] == "open"


def test_an_accepted_register_is_posted_by_the_next_night(night: Night) -> None:
    """Bad input refused first; then a senior accepts, the next night posts the lines, records the
    difference and ties the register to the п/п that paid it on the first night."""
    case, register = _register_case(night)
    _refused_bad_input(night, case)
    declared, lines, total, run_date = _one(night, "SELECT declared_amount, lines, amount_total, run_date FROM register"
                                                   " WHERE id = :r", r=register)  # fmt: skip
    smirnov = logged_in(night, "smirnov")
    token = csrf_of(smirnov.get(f"/cases/{case}").text)
    done = smirnov.post(f"/cases/{case}/accept_register", data={"csrf_token": token, "reason": "агент подтвердил"})
    assert done.status_code == 303
    status, resolution = _one(night, "SELECT status, resolution FROM work_case WHERE id = :i", i=case)
    assert status == "resolved" and "принят" in resolution and "разнесёт ближайшая ночь" in resolution
    acceptance = _one(night, "SELECT status, accepted_by, declared_amount, lines, amount_total, note"
                             " FROM register_acceptance WHERE register_id = :r", r=register)  # fmt: skip
    assert acceptance[:5] == ("accepted", "smirnov", declared, lines, total)
    assert f"разница {format_ru(declared - total)}" in acceptance[5]
    page = smirnov.get(f"/cases/{case}").text
    assert "Реестр принят" in page and "ждут ближайшей ночи" in page
    twice = smirnov.post(f"/cases/{case}/accept_register", data={"csrf_token": token, "reason": "ещё"})
    assert twice.status_code == 409
    audit = _one(night, "SELECT action, after FROM audit_log WHERE subject = :s ORDER BY id DESC", s=f"case:{case}")
    assert audit[0] == "case_accept_register" and json.loads(audit[1])["register_id"] == register

    next_night = date_of(run_date) + timedelta(days=1)
    result = run_night(night, next_night)
    assert result["posted_this_run"]  # the accepted file, read again
    row = _one(night, "SELECT status, run_date, declared_count, declared_amount, posted_amount + suspense_amount"
                      " + duplicate_amount + rejected_amount, amount_total, stored_path FROM register WHERE id = :r",
               r=register)  # fmt: skip
    assert row[0] == "posted" and str(row[1])[:10] == next_night.isoformat() and row[2:4] == (None, None)
    assert row[4] == row[5] == total and "archive" in str(row[6])
    stored = _one(night, "SELECT COUNT(*) FROM payment WHERE register_id = :r", r=register)[0]
    assert stored > 0
    posted = _one(night, "SELECT status, posted_on FROM register_acceptance WHERE register_id = :r", r=register)
    assert posted[0] == "posted" and date_of(posted[1]) == next_night
    noted = _one(night, "SELECT code, detail, amount FROM discrepancy WHERE register_id = :r"
                        " AND code = 'REGISTER_ACCEPTED'", r=register)  # fmt: skip
    assert noted is not None and noted[1] == acceptance[5] and noted[2] == total
    assert _one(night, "SELECT status FROM work_case WHERE code = 'REGISTER_ACCEPTED'")[0] == "informational"
    history = _all(night, "SELECT kind, actor, text FROM case_event WHERE case_id = :i ORDER BY id", i=case)
    assert history[-1][:2] == ("lines_posted", "night") and "строки реестра разнесены" in history[-1][2]
    assert "REGISTER_TOTAL_MISMATCH" not in result["discrepancies"]
    assert _one(night, "SELECT tie_status FROM register WHERE id = :r", r=register)[0] == "tied"
    assert "строки реестра разнесены" in smirnov.get(f"/cases/{case}").text
    _ledger_clean(night)
    assert verify(night.config, night.engine).ok  # the file moved from quarantine to the archive, bytes kept
    # and the night after reads nothing again
    again = run_night(night, next_night + timedelta(days=1))
    assert again["posted_this_run"] == []
    assert _one(night, "SELECT status FROM register WHERE id = :r", r=register)[0] == "posted"


def date_of(value: object) -> date:
    """A DATE column as a date on both databases (SQLite may return text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _split_rows(page: str, case: int) -> int:
    """The amount fields of the split form alone (the refund form has one of its own)."""
    form = page[page.index(f'action="/cases/{case}/split"'):]
    return form[:form.index("</form>")].count('name="amount"')
