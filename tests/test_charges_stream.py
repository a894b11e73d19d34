"""The streamed charges reader (docs/PERFORMANCE.md, «Session 14: charges import streamed»): read in
batches of a few bytes, an export gives the same lines, rejections and stored rows as read whole."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.records import Supplier
from parsers.base import BadFile
from parsers.charges import read_charges
from parsers.charges_lines import UTF8_IN_CP1251, read_lines
from parsers.charges_stream import LineStream
from sql.charges import import_charges, upsert_suppliers
from sql.uow import UnitOfWork

HEADER = "uip;account;period;supplier_inn;service;amount;payer;address"
INN = "7707083893"
HELD = "another line of this ПД was rejected"
WHOLE = 1 << 30  # a batch larger than any file here: the whole file at once


def line(uip: str, amount: str = "100.00", service: str = "ЖКУ", payer: str = "Иванов И И", account: str = "1001",
         period: str = "2026-02") -> str:  # fmt: skip
    """One service line of the billing export."""
    return f"{uip};{account};{period};{INN};{service};{amount};{payer};ул. Мира, д. 1"


def export(path: Path, rows: list[bytes], encoding: str = "utf-8") -> Path:
    path.write_bytes(HEADER.encode(encoding) + b"\n" + b"\n".join(rows) + b"\n")
    return path


def same(a: object, b: object) -> None:
    assert a.errors == b.errors and a.rows == b.rows
    assert a.lines.astype(object).where(a.lines.notna(), None).values.tolist() == \
        b.lines.astype(object).where(b.lines.notna(), None).values.tolist()  # fmt: skip


@pytest.mark.parametrize("batch", [1, 20, 70, 150])
def test_a_document_straddling_a_batch_edge_and_a_bad_line_at_one(tmp_path: Path, batch: int) -> None:
    rows = [line("U1"), line("U1", service="Свет"), line("U2", payer="Другой"), line("U2", service="Газ"),
            line("U3", period="2026-13"), line("U3", service="Вода"), line("U4"), line("U4"),
            line("U5", account="2002"), line("U5")]  # fmt: skip
    path = export(tmp_path / "c.csv", [r.encode() for r in rows])
    whole, streamed = read_charges(path, batch_bytes=WHOLE), read_charges(path, batch_bytes=batch)
    same(whole, streamed)
    assert [(e.line_no, e.reason) for e in streamed.errors][:2] == [(6, "period must be YYYY-MM"), (7, HELD)]
    assert streamed.errors[1].raw == rows[5]  # read again from the file: the text of a line held back late
    assert streamed.lines["uip"].tolist() == ["U1", "U1", "U2", "U2", "U4"]
    assert streamed.lines["payer"].tolist()[2] == "Другой"  # a line's own payer, not its ПД's first


def test_the_encoding_vote_counts_every_batch_not_the_first(tmp_path: Path) -> None:
    rows = [line("U0", payer="Петров").encode()]  # UTF-8 first: a vote of the first batch would say UTF-8
    rows += [line(f"U{i}", payer="Сидоров").encode("cp1251") for i in range(1, 4)]
    path = export(tmp_path / "c.csv", rows, "cp1251")
    assert read_lines(path).encoding == "cp1251"
    assert LineStream(path, 1).encoding == "cp1251"
    streamed = read_charges(path, batch_bytes=1)
    same(read_charges(path), streamed)
    assert [(e.line_no, e.reason) for e in streamed.errors] == [(2, UTF8_IN_CP1251)]


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, b"\n\n"])
def test_an_empty_file_is_refused_in_batches_too(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    with pytest.raises(BadFile, match="empty file or no header row"):
        read_charges(path, batch_bytes=1)


@pytest.mark.parametrize("end", [b"", b"\n", b"\r\n\n"])
def test_a_file_with_only_a_header(tmp_path: Path, end: bytes) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(HEADER.encode() + end)
    parsed = read_charges(path, batch_bytes=3)
    assert (parsed.errors, parsed.rows, len(parsed.lines), len(parsed.documents)) == ((), 0, 0, 0)


def test_stored_rows_are_the_same_whatever_the_batch(engine: sa.Engine, tmp_path: Path) -> None:
    rows = [line(f"U{i % 7}", service=f"S{i}", amount=f"{i}.5") for i in range(40)] + [line("U9"), line("U9")]
    path = export(tmp_path / "c.csv", [r.encode("cp1251") for r in rows], "cp1251")
    stored = []
    for batch in (WHOLE, 11):
        with UnitOfWork(engine) as uow:
            upsert_suppliers(uow.conn, [Supplier(inn=INN, name="УК", kpp="", bank_account="", bic="", email="")])
            report = import_charges(uow.conn, read_charges(path, batch_bytes=batch))
            docs = uow.conn.execute(sa.text("SELECT uip, version, total, content_hash FROM payment_document_version"
                                            " ORDER BY uip, version")).all()  # fmt: skip
            lines = uow.conn.execute(sa.text("SELECT uip, line_no, service, amount FROM service_line"
                                             " ORDER BY uip, line_no")).all()  # fmt: skip
        stored.append(([tuple(d) for d in docs], [tuple(r) for r in lines], report.errors, report.documents))
    assert stored[0] == stored[1]
    assert len(stored[0][0]) == 8 and stored[0][2][0].line_no == 43  # U9's second line: a duplicate


QUOTED = '"q";1001;2026-02;7707083893;ЖКУ;1;"А; Б";ул'
PIECES = [line("U1"), line("U1", service="Свет"), line("U2", payer="Петров"), line("U2", account="7"),
          line("U3", amount="x"), QUOTED, "U4;1001;лишнее", "   ", ""]  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.sampled_from(PIECES), max_size=14), batch=st.integers(1, 400),
       encoding=st.sampled_from(["utf-8", "cp1251"]), crlf=st.booleans())  # fmt: skip
def test_streamed_equals_whole_for_any_batch_size(tmp_path: Path, rows: list[str], batch: int, encoding: str,
                                                  crlf: bool) -> None:  # fmt: skip
    path = tmp_path / "c.csv"
    path.write_bytes((("\r\n" if crlf else "\n").join([HEADER, *rows])).encode(encoding))
    same(read_charges(path, batch_bytes=WHOLE), read_charges(path, batch_bytes=batch))
