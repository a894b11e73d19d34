"""Write-offs over HTTP on a generated night (SQLite and PostgreSQL): under the limit posted at
once; above it the request waits, the one who asked and an accountant cannot approve it, a senior
refuses or approves it; the entry balances, the chain verifies, every step is in the audit log.

The night is shared by the module (one per xdist worker) and has two suspense payments, so each
test first puts the case it works on back where it needs it (``fresh_case``, ``_written_off``): any
test may run alone, in any order, or after the others on the same night."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from rkc import workbench
from rkc.verify import verify
from sql.entries import suspense_amount
from sql.ledger_queries import check_ledger
from tests.webutil import Night, csrf_of, fresh_case, generated_night, logged_in, session_user


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def night(harness: None, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    yield from generated_night(tmp_path_factory.mktemp(f"write_off_{request.param}"), request.param)


def _limited(night: Night, limit: int) -> Night:
    """The night served with ``workbench.write_off_limit`` = ``limit`` kopecks."""
    workbench = dataclasses.replace(night.config.workbench, write_off_limit=limit)
    return dataclasses.replace(night, config=dataclasses.replace(night.config, workbench=workbench))


def _one(night: Night, sql: str, **params: object):  # type: ignore[no-untyped-def]
    with night.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).first()


def _suspense_cases(night: Night) -> list[tuple[int, int]]:
    with night.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, payment_id FROM work_case WHERE code = 'UNKNOWN_ACCOUNT'"
                                    " AND payment_id IS NOT NULL ORDER BY id")).all()  # fmt: skip
    assert len(rows) >= 2, "the generated night has two suspense payments"
    return [(int(c), int(p)) for c, p in rows]


def _held(night: Night, payment: int) -> int:
    with night.engine.connect() as conn:
        return suspense_amount(conn, payment)


def _written_off(night: Night, case: int, payment: int) -> None:
    """The case's payment written off under the limit (posted at once), from any state."""
    fresh_case(night, case)
    limited = _limited(night, _held(night, payment))
    workbench.write_off(limited.config, night.engine, session_user(night, "resetter", "senior"), case,
                        "подготовка теста")  # fmt: skip


def _last_id(night: Night, table: str) -> int:
    return int(_one(night, f"SELECT COALESCE(MAX(id), 0) FROM {table}")[0])


def _ledger_sound(night: Night) -> None:
    with night.engine.connect() as conn:
        assert check_ledger(conn) == []
    assert verify(night.config, night.engine).ok


def test_under_the_limit_posted_at_once(night: Night) -> None:
    case, payment = _suspense_cases(night)[0]
    fresh_case(night, case)
    held = _held(night, payment)
    c = logged_in(_limited(night, held), "petrova")
    token = csrf_of(c.get(f"/cases/{case}").text)
    assert "Списать в доход РКЦ" in c.get(f"/cases/{case}").text
    assert c.post(f"/cases/{case}/write_off", data={"csrf_token": token, "reason": " "}).status_code == 422
    assert c.post(f"/cases/{case}/write_off", data={"csrf_token": "x", "reason": "r"}).status_code == 403
    done = c.post(f"/cases/{case}/write_off", data={"csrf_token": token, "reason": "плательщик не найден за год"})
    assert done.status_code == 303
    status, resolution = _one(night, "SELECT status, resolution FROM work_case WHERE id = :i", i=case)
    entry = _one(night, "SELECT id, kind FROM ledger_entry WHERE payment_id = :p AND kind = 'write_off'"
                        " ORDER BY id DESC", p=payment)  # fmt: skip
    assert status == "resolved" and f"проводка {entry[0]}" in resolution and "плательщик не найден" in resolution
    legs = _one(night, "SELECT SUM(CASE WHEN account = 'write_off:rkc' THEN amount END),"
                       " SUM(CASE WHEN account = 'suspense' THEN amount END) FROM ledger_posting"
                       " WHERE entry_id = :e", e=entry[0])  # fmt: skip
    assert tuple(legs) == (-held, held) and _held(night, payment) == 0
    assert _one(night, "SELECT status, decided_by, entry_id FROM write_off_request WHERE case_id = :i"
                       " ORDER BY id DESC", i=case) == ("approved", None, entry[0])  # fmt: skip
    audit = _one(night, "SELECT action, after FROM audit_log WHERE subject = :s ORDER BY id DESC", s=f"case:{case}")
    assert audit[0] == "case_write_off" and json.loads(audit[1])["entry_id"] == entry[0]
    assert c.post(f"/cases/{case}/write_off", data={"csrf_token": token, "reason": "ещё"}).status_code == 409
    _ledger_sound(night)


def test_above_the_limit_waits_for_a_second_senior(night: Night) -> None:
    case, payment = _suspense_cases(night)[1]
    fresh_case(night, case)
    since = _last_id(night, "audit_log")
    held = _held(night, payment)
    limited = _limited(night, held - 1)
    petrova, smirnov, viewer = (logged_in(limited, u) for u in ("petrova", "smirnov", "audit"))
    token = csrf_of(petrova.get(f"/cases/{case}").text)
    asked = petrova.post(f"/cases/{case}/write_off", data={"csrf_token": token, "reason": "нет плательщика"})
    assert asked.status_code == 303
    first = int(_one(night, "SELECT id FROM write_off_request WHERE case_id = :i AND status = 'pending'", i=case)[0])
    assert _one(night, "SELECT status, owner FROM work_case WHERE id = :i", i=case) == ("in_work", "petrova")
    assert _held(night, payment) == held  # nothing posted yet
    again = petrova.post(f"/cases/{case}/write_off", data={"csrf_token": token, "reason": "ещё раз"})
    assert again.status_code == 409 and "ждущая утверждения" in again.text
    assert f"/cases/{case}" in smirnov.get("/write-offs").text

    refused = petrova.post(f"/write-offs/{first}/approve", data={"csrf_token": token})
    assert refused.status_code == 403 and "только старший" in refused.text
    viewer_token = csrf_of(viewer.get("/write-offs").text)
    assert viewer.post(f"/write-offs/{first}/approve", data={"csrf_token": viewer_token}).status_code == 403
    senior = csrf_of(smirnov.get(f"/cases/{case}").text)
    assert "Утвердить списание" in smirnov.get(f"/cases/{case}").text
    no = smirnov.post(f"/write-offs/{first}/refuse", data={"csrf_token": senior, "note": "сначала запросить банк"})
    assert no.status_code == 303
    assert _one(night, "SELECT status, decided_by FROM write_off_request WHERE id = :i", i=first) == (
        "refused", "smirnov")  # fmt: skip
    assert smirnov.post(f"/write-offs/{first}/approve", data={"csrf_token": senior}).status_code == 409
    assert _held(night, payment) == held

    # the senior asks himself: four eyes need another senior
    asked = smirnov.post(f"/cases/{case}/write_off", data={"csrf_token": senior, "reason": "банк не ответил"})
    assert asked.status_code == 303
    second = int(_one(night, "SELECT id FROM write_off_request WHERE case_id = :i AND status = 'pending'", i=case)[0])
    own = smirnov.post(f"/write-offs/{second}/approve", data={"csrf_token": senior})
    assert own.status_code == 403 and "нужен второй сотрудник" in own.text
    assert "Утвердить списание" not in smirnov.get(f"/cases/{case}").text
    session_user(night, "ivanova", "senior")
    ivanova = logged_in(limited, "ivanova")
    other = csrf_of(ivanova.get(f"/cases/{case}").text)
    assert ivanova.post(f"/write-offs/{second}/approve", data={"csrf_token": other}).status_code == 303
    status, resolution = _one(night, "SELECT status, resolution FROM work_case WHERE id = :i", i=case)
    assert status == "resolved" and "утвердил ivanova" in resolution and _held(night, payment) == 0
    assert _one(night, "SELECT status, decided_by FROM write_off_request WHERE id = :i", i=second) == (
        "approved", "ivanova")  # fmt: skip
    assert ivanova.post(f"/write-offs/{second}/approve", data={"csrf_token": other}).status_code == 409
    assert ivanova.post("/write-offs/999999/approve", data={"csrf_token": other}).status_code == 404
    with night.engine.connect() as conn:
        actions = [r[0] for r in conn.execute(sa.text("SELECT action FROM audit_log WHERE subject = :s AND id > :n"
                                                      " ORDER BY id"), {"s": f"case:{case}", "n": since})]  # fmt: skip
    assert actions == ["case_write_off", "write_off_refuse", "case_write_off", "write_off_approve"]
    page = ivanova.get(f"/cases/{case}").text
    for text in ("отказано: сначала запросить банк", "списано", "списан в доход РКЦ"):
        assert text in page
    assert f"/cases/{case}" not in ivanova.get("/write-offs").text
    _ledger_sound(night)


def test_undo_a_write_off(night: Night) -> None:
    """A write-off is reversed: the money is back in suspense, the case in work; written off again,
    a new entry (the first and its reversal stay)."""
    case, payment = _suspense_cases(night)[0]
    _written_off(night, case, payment)
    first = _one(night, "SELECT id, entry_id, amount FROM write_off_request WHERE case_id = :i AND status = 'approved'",
                 i=case)  # fmt: skip
    assert first is not None
    c = logged_in(_limited(night, first[2]), "petrova")
    page = c.get(f"/cases/{case}").text
    assert "Отменить решение" in page
    token = csrf_of(page)
    viewer = logged_in(night, "audit")
    assert viewer.post(f"/cases/{case}/undo", data={"csrf_token": csrf_of(viewer.get("/cases").text),
                                                    "reason": "r"}).status_code == 403  # fmt: skip
    assert c.post(f"/cases/{case}/undo", data={"csrf_token": token, "reason": ""}).status_code == 422
    assert c.post(f"/cases/{case}/undo", data={"csrf_token": token, "reason": "плательщик нашёлся"}).status_code == 303
    reversal = _one(night, "SELECT id, kind FROM ledger_entry WHERE reverses_id = :e", e=first[1])
    assert reversal[1] == "reversal" and _held(night, payment) == first[2]
    assert _one(night, "SELECT status, reversal_entry_id FROM write_off_request WHERE id = :i", i=first[0]) == (
        "undone", reversal[0])  # fmt: skip
    assert _one(night, "SELECT status, owner, resolution FROM work_case WHERE id = :i", i=case) == (
        "in_work", "petrova", None)  # fmt: skip
    assert c.post(f"/cases/{case}/undo", data={"csrf_token": token, "reason": "ещё"}).status_code == 409
    audit = _one(night, "SELECT action, after FROM audit_log WHERE subject = :s ORDER BY id DESC", s=f"case:{case}")
    assert audit[0] == "case_undo" and json.loads(audit[1])["reversal_entry_id"] == reversal[0]
    assert "решение отменено" in c.get(f"/cases/{case}").text
    again = c.post(f"/cases/{case}/write_off", data={"csrf_token": token, "reason": "всё-таки не нашёлся"})
    assert again.status_code == 303 and _held(night, payment) == 0
    with night.engine.connect() as conn:
        kinds = [k for (k,) in conn.execute(sa.text("SELECT kind FROM ledger_entry WHERE payment_id = :p"
                                                    " AND kind <> 'payment' AND id >= :n ORDER BY id"),
                                            {"p": payment, "n": first[1]})]  # fmt: skip
    assert kinds == ["write_off", "reversal", "write_off"]
    _ledger_sound(night)


def test_undo_an_assignment(night: Night) -> None:
    """A write-off undone, the payment assigned to a ПД, the assignment undone (the reclass
    reversed, the resolution forgotten) and made again under a new key."""
    case, payment = _suspense_cases(night)[1]
    _written_off(night, case, payment)
    c = logged_in(night, "smirnov")
    token = csrf_of(c.get(f"/cases/{case}").text)
    assert c.post(f"/cases/{case}/undo", data={"csrf_token": token, "reason": "нашёлся ЛС"}).status_code == 303
    held = _held(night, payment)
    assert held > 0
    assert c.post(f"/cases/{case}/assign", data={"csrf_token": token, "target": night.known_account}).status_code == 303
    first = _one(night, "SELECT entry_id FROM resolution WHERE payment_id = :p", p=payment)[0]
    assert "Отменить решение" in c.get(f"/cases/{case}").text
    assert c.post(f"/cases/{case}/undo", data={"csrf_token": token, "reason": "не тот ЛС"}).status_code == 303
    assert _one(night, "SELECT COUNT(*) FROM resolution WHERE payment_id = :p", p=payment)[0] == 0
    assert _one(night, "SELECT kind FROM ledger_entry WHERE reverses_id = :e", e=first)[0] == "reversal"
    assert _held(night, payment) == held
    assert _one(night, "SELECT status, resolution FROM work_case WHERE id = :i", i=case) == ("in_work", None)
    audit = _one(night, "SELECT action, after FROM audit_log WHERE subject = :s ORDER BY id DESC", s=f"case:{case}")
    assert audit[0] == "case_undo" and json.loads(audit[1])["resolution"]["entry_id"] == first
    assert c.post(f"/cases/{case}/assign", data={"csrf_token": token, "target": night.known_account}).status_code == 303
    second = _one(night, "SELECT entry_id FROM resolution WHERE payment_id = :p", p=payment)[0]
    key = _one(night, "SELECT source_key FROM ledger_entry WHERE id = :e", e=second)[0]
    assert second != first and key == f"reclass:{payment}:2" and _held(night, payment) == 0
    assert _one(night, "SELECT status FROM work_case WHERE id = :i", i=case)[0] == "resolved"
    _ledger_sound(night)


def test_run_history_with_verification(night: Night) -> None:
    """`/runs`: the night's signed manifest, verified; an output changed after signing is named."""
    viewer = logged_in(night, "audit")
    page = viewer.get("/runs")
    night_date = str(_one(night, "SELECT MAX(run_date) FROM run_manifest")[0])[:10]
    assert page.status_code == 200 and "История запусков" in page.text
    assert f"{night_date[8:10]}.{night_date[5:7]}.{night_date[:4]}" in page.text
    assert "в порядке" in page.text and "Страница 1 из 1" in page.text
    assert viewer.get("/runs", params={"page": 0}).status_code == 422
    assert "Страница 2 из 1" in viewer.get("/runs", params={"page": 2}).text
    body = json.loads(_one(night, "SELECT body FROM run_manifest ORDER BY id DESC")[0])
    output = next(o["path"] for o in body["outputs"])
    path = Path(output) if Path(output).is_absolute() else night.config.home / output
    original = path.read_bytes()
    try:
        path.write_bytes(original + b" ")
        assert "файл изменён после подписи" in viewer.get("/runs").text
    finally:
        path.write_bytes(original)
    assert "в порядке" in viewer.get("/runs").text


def test_supplier_pages(night: Night) -> None:
    """`/suppliers` with what the center owes each (the ledger's balance), one supplier's page with
    its statements to download, and nothing else from out/."""
    from domain.money import format_ru
    from sql.ledger_queries import balances

    viewer = logged_in(night, "audit")
    with night.engine.connect() as conn:
        owed = balances(conn)
        inns = [i for (i,) in conn.execute(sa.text("SELECT inn FROM supplier ORDER BY inn"))]
    listing = viewer.get("/suppliers")
    assert listing.status_code == 200 and all(f"/suppliers/{inn}" in listing.text for inn in inns[:50])
    inn = next(i for i in inns if owed.get(f"supplier:{i}", 0) != 0)
    card = viewer.get(f"/suppliers/{inn}")
    assert card.status_code == 200 and format_ru(owed[f"supplier:{inn}"]) in card.text
    assert viewer.get("/suppliers/000000000000").status_code == 404
    assert viewer.get("/suppliers/abc").status_code == 422
    folder = night.config.out / "statements" / "2099-01" / inn
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"statement-2099-01-{inn}.html").write_text("<p>выписка</p>", encoding="utf-8")
    assert f"/suppliers/{inn}/files/2099-01/statement-2099-01-{inn}.html" in viewer.get(f"/suppliers/{inn}").text
    got = viewer.get(f"/suppliers/{inn}/files/2099-01/statement-2099-01-{inn}.html")
    assert got.status_code == 200 and "выписка" in got.text
    assert viewer.get(f"/suppliers/{inn}/files/2099-01/..%2F..%2Frkc.yaml").status_code == 404
    assert viewer.get(f"/suppliers/{inn}/files/2099-01/other.html").status_code == 404
