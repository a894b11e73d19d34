"""Supplier statements from a real ledger (SQLite and PostgreSQL): totals tie to the ledger, each
supplier sees only its own money, corrections appear, and outside text stays inert."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from domain.records import Supplier
from rkc.statements import write_statements
from sql.charges import upsert_suppliers
from sql.entries import reclassify, reverse_entry
from sql.posting import post_payments
from sql.reporting import period_bounds, supplier_movements
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame

A, B, C, D = "7707083893", "500100732259", "7728168971", "7736050003"
EVIL_PAYER = '=HYPERLINK("http://evil","x")'
PERIOD = "2026-03"


def _ledger(engine: sa.Engine) -> dict[str, int]:
    """February: A and C earn an opening balance. March: payments split A/B, a portal payment to A,
    a suspense payment reclassified to B, a payment to A reversed. April: a payment to A (outside)."""
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        upsert_suppliers(
            conn,
            [
                Supplier(A, "<script>alert(1)</script> УК Ромашка", "770701001", "40702810000000000001", "044525225"),
                Supplier(B, "ООО «Водоканал»", "", "40702810000000000002", "044525225"),
                Supplier(C, "ТСЖ Берёзка"),
                Supplier(D, "Без движения"),
            ],
        )
        feb = payment_frame(
            [
                {"operation_id": "F1", "amount": 10000, "paid_date": "2026-02-20"},
                {"operation_id": "F2", "amount": 7000, "paid_date": "2026-02-21"},
            ]
        )
        post_payments(
            conn, new_register(conn, "feb.txt"), feb, split_frame([(0, A, "ЖКУ", 10000), (1, C, "ЖКУ", 7000)])
        )
        march = payment_frame(
            [
                {"operation_id": "000101", "amount": 150000, "commission": 1500, "paid_date": "2026-03-15",
                 "account_raw": "000012345678", "matched_uip": "U-1", "payer": EVIL_PAYER,
                 "address": 'Г ИПАТОВО; УЛ "ЛЕНИНА"'},
                {"operation_id": "000102", "amount": 30000, "paid_date": "2026-03-15", "payer": "-ИВАНОВ"},
                {"operation_id": "000103", "amount": 45000, "paid_date": "2026-03-16", "payer": "@ПЕТРОВ"},
                {"operation_id": "000104", "amount": 20000, "paid_date": "2026-03-17", "payer": "СИДОРОВ"},
            ]
        )  # fmt: skip
        splits = split_frame([(0, A, "ЖКУ", 90000), (0, B, "Вода", 60000), (1, A, "ЖКУ", 30000), (3, A, "ЖКУ", 20000)])
        result = post_payments(conn, new_register(conn, "mar.txt"), march, splits)
        ids = dict(zip(march["operation_id"], result.ids.sort_values("payment_id")["id"], strict=True))
        portal = payment_frame(
            [{"operation_id": "P-7", "channel": "portal", "amount": 5000, "paid_date": "2026-03-20"}]
        )
        post_payments(conn, new_register(conn, "portal.xlsx", "portal"), portal, split_frame([(0, A, "ЖКУ", 5000)]))
        reclassify(conn, ids["000103"], split_frame([(0, B, "Вода", 45000)]).drop(columns="payment_id"),
                   on=date(2026, 3, 18), description="разнесено бухгалтером Петровой")  # fmt: skip
        entry = conn.execute(
            sa.text("SELECT id FROM ledger_entry WHERE payment_id = :p AND kind = 'payment'"), {"p": ids["000104"]}
        ).scalar_one()
        reverse_entry(conn, entry, on=date(2026, 3, 25), reason="ошибочный платёж")
        april = payment_frame([{"operation_id": "A1", "amount": 999, "paid_date": "2026-04-01"}])
        post_payments(conn, new_register(conn, "apr.txt"), april, split_frame([(0, A, "ЖКУ", 999)]))
        uow.commit()
    return ids


def _balance(engine: sa.Engine, inn: str, before: date) -> int:
    """The supplier's balance from the ledger itself (credit positive) for value dates before ``before``."""
    with engine.connect() as conn:
        signed = conn.execute(
            sa.text(
                "SELECT COALESCE(SUM(p.amount), 0) FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id"
                " WHERE p.account = :a AND e.value_date < :d"
            ),
            {"a": f"supplier:{inn}", "d": before},
        ).scalar_one()
    return -int(signed)


def _csv(path: Path) -> tuple[list[str], list[list[str]], list[str]]:
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp1251"), newline=""), delimiter=";"))
    return rows[0], rows[1:-1], rows[-1]


def _kopecks(text: str) -> int:
    whole, frac = text.lstrip("-").split(",")
    return (-1 if text.startswith("-") else 1) * (int(whole) * 100 + int(frac))


def _sheet(ws) -> list[dict]:  # type: ignore[no-untyped-def]
    head = [c.value for c in ws[1]]
    return [dict(zip(head, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


@pytest.fixture
def written(engine: sa.Engine, tmp_path: Path) -> list[Path]:
    _ledger(engine)
    return write_statements(engine, PERIOD, tmp_path)


def _files(tmp_path: Path, inn: str) -> tuple[Path, Path, Path]:
    folder = tmp_path / "statements" / PERIOD / inn
    return (folder / f"statement-{PERIOD}-{inn}.xlsx", folder / f"register-{PERIOD}-{inn}.csv",
            folder / f"statement-{PERIOD}-{inn}.html")  # fmt: skip


def test_statements_for_suppliers_with_movements_or_balance_only(written: list[Path], tmp_path: Path) -> None:
    expected = [p for inn in (A, B, C) for p in _files(tmp_path, inn)]
    assert sorted(written) == sorted(expected)
    assert all(p.is_file() for p in expected)
    assert not (tmp_path / "statements" / PERIOD / D).exists()


@pytest.mark.parametrize("inn", [A, B, C])
def test_totals_equal_the_ledger_movement_of_the_period(
    written: list[Path], tmp_path: Path, engine: sa.Engine, inn: str
) -> None:
    start, end = period_bounds(PERIOD)
    opening, closing = _balance(engine, inn, start), _balance(engine, inn, end)
    xlsx, csv_path, _ = _files(tmp_path, inn)
    summary = {r["Показатель"]: r for r in _sheet(load_workbook(xlsx)["Выписка"])}
    opening_row = next(v for k, v in summary.items() if k.startswith("Входящий остаток"))
    assert round(opening_row["Сумма"] * 100) == opening
    assert round(summary["Исходящий остаток"]["Сумма"] * 100) == closing
    assert round((summary["Итого движение за период"]["Сумма"] or 0) * 100) == closing - opening
    _, lines, footer = _csv(csv_path)
    assert footer[0] == "ИТОГО" and int(footer[1]) == len(lines)
    assert _kopecks(footer[-1]) == sum(_kopecks(line[-1]) for line in lines) == closing - opening


def test_expected_figures_for_a(written: list[Path], tmp_path: Path) -> None:
    xlsx = _files(tmp_path, A)[0]
    summary = {r["Показатель"]: r for r in _sheet(load_workbook(xlsx)["Выписка"])}
    # opening 100.00; March: 900 + 300 + 200 + 50 received, 200 reversed; April's 9.99 is outside.
    assert round(summary["Поступило платежей"]["Сумма"] * 100) == 90000 + 30000 + 20000 + 5000
    assert summary["Поступило платежей"]["Количество"] == 4
    assert round(summary["Сторно"]["Сумма"] * 100) == -20000
    assert round(summary["Исходящий остаток"]["Сумма"] * 100) == 10000 + 145000 - 20000
    assert summary["ИНН / КПП"]["Значение"] == f"{A} / 770701001"


def test_no_statement_contains_another_suppliers_money(written: list[Path], tmp_path: Path, engine: sa.Engine) -> None:
    with engine.connect() as conn:
        moves = supplier_movements(conn, PERIOD)
        owners = conn.execute(
            sa.text(
                "SELECT DISTINCT pay.operation_id, SUBSTR(p.account, 10) FROM ledger_posting p"
                " JOIN ledger_entry e ON e.id = p.entry_id JOIN payment pay ON pay.id = e.payment_id"
                " WHERE p.account LIKE 'supplier:%'"
            )
        ).all()
    paid_to: dict[str, set[str]] = {}
    for op, inn in owners:
        paid_to.setdefault(op, set()).add(inn)
    assert set(moves["inn"]) == {A, B}
    for inn in (A, B, C):
        _, lines, _ = _csv(_files(tmp_path, inn)[1])
        ops = {line[3].lstrip("'") for line in lines}
        assert all(inn in paid_to[op] for op in ops), (inn, ops)
        assert len(lines) == int((moves["inn"] == inn).sum())
    _, b_lines, _ = _csv(_files(tmp_path, B)[1])
    assert {line[3] for line in b_lines} == {"000101", "000103"}  # not A's 000102, 000104 or P-7
    assert [_kopecks(line[-1]) for line in b_lines] == [60000, 45000]


def test_reclassifications_and_reversals_appear(written: list[Path], tmp_path: Path) -> None:
    rows_b = _sheet(load_workbook(_files(tmp_path, B)[0])["Корректировки"])
    assert rows_b[0]["Вид"] == "Разнесение невыясненного" and rows_b[0]["Номер операции"] == "000103"
    assert rows_b[0]["Дата"] == datetime(2026, 3, 18) and round(rows_b[0]["Сумма"] * 100) == 45000
    assert rows_b[0]["Основание"] == "разнесено бухгалтером Петровой"
    assert rows_b[-1]["Вид"] == "Итого"
    rows_a = _sheet(load_workbook(_files(tmp_path, A)[0])["Корректировки"])
    assert [(r["Вид"], r["Номер операции"], round(r["Сумма"] * 100)) for r in rows_a[:-1]] == [
        ("Сторно", "000104", -20000)
    ]
    _, lines, _ = _csv(_files(tmp_path, A)[1])
    assert ["25.03.2026", "Сторно", "sber", "000104"] == lines[-1][:4] and lines[-1][-1] == "-200,00"


def test_payments_by_day_and_channel_with_formats(written: list[Path], tmp_path: Path) -> None:
    wb = load_workbook(_files(tmp_path, A)[0])
    ws = wb["Поступления по дням"]
    rows = _sheet(ws)
    assert [(r["Дата"], r["Канал"], r["Платежей"], round(r["Сумма"] * 100)) for r in rows[:-1]] == [
        (datetime(2026, 3, 15), "sber", 2, 120000),
        (datetime(2026, 3, 17), "sber", 1, 20000),
        (datetime(2026, 3, 20), "portal", 1, 5000),
    ]
    assert rows[-1]["Канал"] == "Итого" and round(rows[-1]["Сумма"] * 100) == 145000
    assert ws["A2"].number_format == "DD.MM.YYYY" and ws["D2"].number_format == "#,##0.00"
    for sheet in wb.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")


def test_csv_layout_quoting_and_injection_guard(written: list[Path], tmp_path: Path) -> None:
    raw = _files(tmp_path, A)[1].read_bytes()
    assert raw.startswith("Дата проводки;Вид".encode("cp1251")) and b"\r\n" in raw
    header, lines, _ = _csv(_files(tmp_path, A)[1])
    assert header[-1] == "Сумма" and len(header) == 11
    first = lines[0]
    assert first[:7] == ["15.03.2026", "Платеж", "sber", "000101", "15.03.2026", "000012345678", "U-1"]
    assert first[7] == "'" + EVIL_PAYER  # CSV cells never start with = + - @
    assert first[8] == 'Г ИПАТОВО; УЛ "ЛЕНИНА"'  # quoted, so the ; stays inside the field
    assert first[-1] == "900,00"
    assert lines[1][7] == "'-ИВАНОВ"
    assert all(len(line) == 11 for line in lines)


def test_xlsx_and_html_keep_outside_text_inert(written: list[Path], tmp_path: Path) -> None:
    xlsx, _, html = _files(tmp_path, A)
    wb = load_workbook(xlsx)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
    page = html.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; УК Ромашка" in page
    assert "1\u00a0450,00" in page  # March payments to A, Russian format


def test_a_period_without_movements_keeps_balances(engine: sa.Engine, tmp_path: Path) -> None:
    _ledger(engine)
    written = write_statements(engine, "2026-05", tmp_path)
    inns = sorted({p.parent.name for p in written})
    assert inns == sorted([A, B, C])  # balances carried, no movements
    _, lines, footer = _csv(tmp_path / "statements" / "2026-05" / C / f"register-2026-05-{C}.csv")
    assert lines == [] and footer[:2] == ["ИТОГО", "0"] and footer[-1] == "0,00"


@pytest.mark.parametrize("period", ["2026-13", "2026-3", "март", ""])
def test_bad_period_is_refused(engine: sa.Engine, tmp_path: Path, period: str) -> None:
    with pytest.raises(ValueError, match=r"period|month"):
        write_statements(engine, period, tmp_path)
