"""The method and a QR payload on register lines, as each parser transcribes them: text dialects (a
column shared with the cashier, a header column a file may lack), XLSX and DBF profiles; a channel
placing the fields itself (``parsers.registry.build_parser(fields=…)``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from parsers.base import Chunk
from parsers.registry import build_parser
from tests.dbfutil import SBER_FIELDS, Field, sber_record, write_dbf

PAYEE = ("ST00012|Name=РКЦ|PersonalAcc=40702810938000000001|BankName=ПАО Сбербанк|BIC=044525225"
         "|CorrespAcc=30101810400000000225")  # fmt: skip
SBER_LINES = [
    "15-03-2026;10-27-38;8625;8625099V;1001;000012345678;ИВАНОВ И И;Г ИПАТОВО;0226;1500,00;1485,00;15,00",
    "15-03-2026;10-28-00;8625;SBOL;1002;000000456789;ПЕТРОВ П П;Г ИПАТОВО;0226;700,00;693,00;7,00",
    "15-03-2026;10-29-00;8625;60234118;1003;000000077777;СИДОРОВ С С;Г ИПАТОВО;0226;300,00;297,00;3,00",
    "=3;2500,00;2475,00;25,00;517;16-03-2026",
]


def _drain(parser: object, path: Path) -> tuple[pd.DataFrame, list]:
    chunks: list[Chunk] = list(parser.parse(path))  # type: ignore[attr-defined]
    return pd.concat([c.payments for c in chunks], ignore_index=True), [e for c in chunks for e in c.errors]


def test_sber_cashier_column_is_also_the_method(tmp_path: Path) -> None:
    path = tmp_path / "reestr.txt"
    path.write_bytes("\r\n".join(SBER_LINES).encode("cp1251") + b"\r\n")
    plain, _ = _drain(build_parser("text", "sber_classic"), path)
    assert plain["method_raw"].isna().all()
    payments, errors = _drain(build_parser("text", "sber_classic", fields={"method": 4}), path)
    assert errors == [] and payments["method_raw"].tolist() == ["8625099V", "SBOL", "60234118"]
    assert payments.drop(columns="method_raw").equals(plain.drop(columns="method_raw"))  # nothing else changes


PIPE_HEADER = "date|operation|account|uip|fio|address|period|amount|commission"
PIPE_LINE = "19.03.2026|A-1|0001234567||ИВАНОВА|Г ИПАТОВО|02.2026|1 250,50|0,00"


def test_a_header_dialect_reads_the_method_column_when_the_file_has_one(tmp_path: Path) -> None:
    parser = build_parser("text", "pipe_header")
    without = tmp_path / "old.csv"
    without.write_text(f"{PIPE_HEADER}\n{PIPE_LINE}\n", encoding="utf-8")
    with_method = tmp_path / "new.csv"
    with_method.write_text(f"{PIPE_HEADER}|method\n{PIPE_LINE}|AUTOPAY\n", encoding="utf-8")
    assert _drain(parser, without)[0]["method_raw"].tolist() == [None]
    assert _drain(parser, with_method)[0]["method_raw"].tolist() == ["AUTOPAY"]


def test_a_text_line_identified_by_its_qr_payload_alone(tmp_path: Path) -> None:
    payload = f"{PAYEE}|PersAcc=0001234567|PaymPeriod=022026|UIN=52ИП012345-02-2026|Sum=125050"
    semi = tmp_path / "qr.txt"
    semi.write_bytes("\r\n".join([
        "#FILESUM 1349.50",
        f"8625;0000;1;20/11/2026;1250.50;0.00;CLIENTNO:;CLIENTDOCNO:;method_pay:;QRCODE:{payload}",
        "8625;0000;2;20/11/2026;99.00;0.00;CLIENTNO:;CLIENTDOCNO:;method_pay:касса;QRCODE:ST0001|junk",
    ]).encode("cp1251") + b"\r\n")  # fmt: skip
    dialect = Path(__file__).parent / "data" / "corpus" / "gorod" / "gorod_keyvalue.yaml"
    parser = build_parser("text", str(dialect), fields={"qr": {"key": "QRCODE:"}, "method": {"key": "method_pay:"}})
    payments, errors = _drain(parser, semi)
    row = payments.iloc[0]
    assert (row["account_raw"], row["account"], row["uip"], row["period"]) == (
        "0001234567", "1234567", "52ИП012345-02-2026", "2026-02")
    assert row["qr_flag"] is None and row["method_raw"] is None and row["qr"] == payload
    assert [(e.line_no, e.amount) for e in errors] == [(3, 9900)]
    assert errors[0].reason.startswith("no account, УИП or ЕЛС; QR-код не прочитан")


def test_portal_sheet_with_method_and_qr_columns(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Дата платежа", "Номер операции", "Лицевой счет", "Сумма", "Комиссия", "Способ оплаты", "QR-код"])
    sheet.append(["20.11.2026", "1", "000012345678", "1500,00", "0", "Госуслуги", None])
    sheet.append(["20.11.2026", "2", None, "1000,00", "0", None,
                  f"{PAYEE}|PersAcc=000000456789|PaymPeriod=10.2026|Sum=125000"])  # fmt: skip
    sheet.append(["20.11.2026", "3", None, "700,00", "0", "QR-код", "ST00012|Name=РКЦ"])
    sheet.append(["Итого", "3", None, "3200,00", "0"])
    path = tmp_path / "portal.xlsx"
    book.save(path)
    payments, errors = _drain(build_parser("xlsx", "xlsx_portal"), path)
    assert payments["method_raw"].tolist() == ["Госуслуги", None]
    assert payments["account_raw"].tolist() == ["000012345678", "000000456789"]
    assert payments["period"].tolist() == [None, "2026-10"]
    assert payments["qr_flag"].tolist() == [None, "QR_MISMATCH"]
    assert "сумма в QR-коде 1\u00a0250,00 ≠ сумма платежа 1\u00a0000,00" == payments["qr_detail"].iloc[1]
    assert [(e.line_no, e.amount) for e in errors] == [(4, 70000)]
    assert "QR-код не прочитан" in errors[0].reason


def test_dbf_method_and_qr_fields_named_by_the_channel(tmp_path: Path) -> None:
    fields = [*SBER_FIELDS, Field("SPOSOB", "C", 20), Field("QR", "C", 200)]
    payload = f"{PAYEE}|PersAcc=000077777|PaymPeriod=022026"
    records = [(" ", [*sber_record("000012345678", "ИВАНОВ", "1500.00", op="1"), "КАССА", None]),
               (" ", [*sber_record("", "ПЕТРОВ", "700.00", op="2", period=""), "", payload])]  # fmt: skip
    path = write_dbf(tmp_path / "reestr.dbf", fields, records)
    parser = build_parser("dbf", "dbf_sber_branch", fields={"method": "SPOSOB", "qr": "QR"})
    payments, errors = _drain(parser, path)
    assert errors == []
    assert payments["method_raw"].tolist() == ["КАССА", None]
    assert payments["account"].tolist() == ["12345678", "77777"]
    assert payments["period"].tolist() == ["2026-02", "2026-02"]
