"""Charges input that cannot corrupt: foreign-encoded lines, oversized fields and lines, and repeated
lines are rejected with line numbers; their ПД are held back whole (a repeat keeps its first copy);
many rejections are summarised and listed in a CSV; a byte-identical re-import changes nothing."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from domain.records import LineError, Supplier
from parsers.charges import read_charges
from parsers.charges_lines import LINE_LIMIT, NOT_CP1251, NOT_UTF8, TOO_LONG, UTF8_IN_CP1251
from reports.charges_rejections import reason_kind, summary_lines
from rkc.cli import app
from rkc.config import ConfigError, parse_config
from sql.charges import import_charges, upsert_suppliers
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame

HEADER = "uip;account;period;supplier_inn;service;amount;payer;address"
INN = "7707083893"
HELD = "another line of this ПД was rejected"
LONG = "{} is longer than 500 characters"
DUPLICATE = "duplicate of line {}; an identical line is not summed"


def line(uip: str, amount: str = "100.00", service: str = "ЖКУ", payer: str = "Иванов И И",
         address: str = "ул. Мира, д. 1", account: str = "1001") -> str:  # fmt: skip
    """One service line of the billing export."""
    return f"{uip};{account};2026-02;{INN};{service};{amount};{payer};{address}"


def export(path: Path, lines: list[bytes], encoding: str = "cp1251") -> Path:
    """A billing export of already encoded lines (so that one can differ from the file's encoding)."""
    path.write_bytes(HEADER.encode(encoding) + b"\n" + b"\n".join(lines) + b"\n")
    return path


# reason, lines of the file as bytes: line 2 is the line under test, line 3 another line of its ПД,
# line 4 a good ПД that must load whatever happens to the others
CASES = {
    "UTF-8 line in a cp1251 file": (UTF8_IN_CP1251, "cp1251", line("U1", payer="Петров П П").encode()),
    "UTF-8 field in a cp1251 line": (
        UTF8_IN_CP1251, "cp1251", line("U1", address="").encode("cp1251") + "ул. Ленина".encode(),
    ),
    "UTF-8 sign alone in a cp1251 line": (UTF8_IN_CP1251, "cp1251", line("U1", address="№ 5").encode()),
    "byte 0x98 in a cp1251 file": (NOT_CP1251, "cp1251", line("U1", payer="x").encode("cp1251") + b"\x98"),
    "cp1251 line in a UTF-8 file": (NOT_UTF8, "utf-8", line("U1", payer="Петров").encode("cp1251")),
    "replacement character in a UTF-8 file": (NOT_UTF8, "utf-8", line("U1", payer="Пет\ufffdров").encode()),
    "payer over the limit": (LONG.format("payer"), "cp1251", line("U1", payer="Я" * 501).encode("cp1251")),
    "address over the limit": (LONG.format("address"), "utf-8", line("U1", address="д" * 501).encode()),
    "service over the limit": (LONG.format("service"), "cp1251", line("U1", service="S" * 501).encode("cp1251")),
    "account over the limit": (LONG.format("account"), "cp1251", line("U1", account="1" * 501).encode("cp1251")),
    "a field too many": ("expected 8 fields", "cp1251", line("U1", payer="Иванов; И").encode("cp1251")),
    "line over the hard limit": (TOO_LONG, "cp1251", line("U1", address="A" * LINE_LIMIT).encode("cp1251")),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_bad_line_is_rejected_with_its_number_and_holds_back_its_document(tmp_path: Path, case: str) -> None:
    reason, encoding, bad = CASES[case]
    other = line("U1", service="Свет", amount="5").encode(encoding)
    good = line("U2", payer="Сёмин С С").encode(encoding)  # "Сё" alone is Russian, not UTF-8 read as cp1251
    parsed = read_charges(export(tmp_path / "c.csv", [bad, other, good], encoding))
    assert [(e.line_no, e.reason) for e in parsed.errors] == [(2, reason), (3, HELD)]
    assert parsed.lines["uip"].tolist() == ["U2"] and parsed.lines["payer"].tolist() == ["Сёмин С С"]
    assert all(len(e.raw) <= 1000 for e in parsed.errors)  # a huge line is not kept whole for the report


def test_a_genuine_cp1251_file_with_every_letter_is_not_taken_for_utf8(tmp_path: Path) -> None:
    letters = "".join(chr(c) for c in range(ord("А"), ord("я") + 1)) + "Ёё№«»"
    rows = [line(f"U{i}", payer=f"{a}{b}", address=letters) for i, (a, b) in enumerate(itertools.pairwise(letters))]
    parsed = read_charges(export(tmp_path / "c.csv", [r.encode("cp1251") for r in rows]))
    assert parsed.errors == () and len(parsed.lines) == len(rows)


def test_a_duplicate_line_is_rejected_and_not_summed(tmp_path: Path) -> None:
    rows = [line("U1", amount="100.00"), line("U1", service="Свет", amount="5"), line("U1", amount="100,00")]
    parsed = read_charges(export(tmp_path / "c.csv", [r.encode("cp1251") for r in rows]))
    assert [(e.line_no, e.reason) for e in parsed.errors] == [(4, DUPLICATE.format(2))]
    assert parsed.lines["amount"].sum() == 10500  # the first copy kept, its ПД loaded


def test_the_text_limit_comes_from_the_configuration(tmp_path: Path) -> None:
    path = export(tmp_path / "c.csv", [line("U1", payer="Я" * 20).encode("cp1251")])
    assert read_charges(path, max_text=20).errors == ()
    assert [e.reason for e in read_charges(path, max_text=19).errors] == ["payer is longer than 19 characters"]
    base = {"database_url": "sqlite:///x.db", "channels": {"sber": {"format": "text", "dialect": "sber_classic"}}}
    assert parse_config(base, tmp_path).charges_max_text == 500
    assert parse_config({**base, "charges_max_text": 80}, tmp_path).charges_max_text == 80
    for wrong in (0, -1, "many", True):
        with pytest.raises(ConfigError, match=r"rkc.yaml: charges_max_text must be a whole number"):
            parse_config({**base, "charges_max_text": wrong}, tmp_path)


BAD_KINDS = ["amount", "encoding", "long_field", "long_line", "period", "width"]


def _bad(kind: str, uip: str, n: int, encoding: str) -> bytes:
    """A line of ПД ``uip`` that must be rejected, for ``kind``."""
    if kind == "encoding":  # the other encoding's Cyrillic
        return line(uip, service=f"Услуга {n}").encode("utf-8" if encoding == "cp1251" else "cp1251")
    text = {
        "amount": line(uip, service=f"Услуга {n}", amount="12x"),
        "long_field": line(uip, service=f"Услуга {n}", payer="П" * 501),
        "long_line": line(uip, service=f"Услуга {n}", address="A" * (LINE_LIMIT + 1)),
        "period": line(uip, service=f"Услуга {n}").replace("2026-02", "2026-13"),
        "width": line(uip, service=f"Услуга {n}", payer="Иванов; И И"),  # an unquoted ";" in a field
    }[kind]
    return text.encode(encoding)


documents = st.lists(
    st.lists(st.tuples(st.sampled_from(["good", "good", "dup", *BAD_KINDS]), st.integers(0, 10**7)),
             min_size=1, max_size=4),
    min_size=1, max_size=8,
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=documents, encoding=st.sampled_from(["cp1251", "utf-8"]))
def test_loaded_documents_are_exactly_those_without_a_bad_line(tmp_path: Path, docs: list, encoding: str) -> None:
    # The file's encoding is its majority's: more lines of it than lines in the other one.
    anchors = 1 + sum(kind == "encoding" for doc in docs for kind, _ in doc)
    lines = [line("ANCHOR", service=f"Якорь {a}").encode(encoding) for a in range(anchors)]
    expected: dict[str, int] = {"ANCHOR": 10000 * anchors}
    n = 0
    for d, doc in enumerate(docs):
        uip, total, spoiled, previous = f"U{d}", 0, False, None
        for kind, kopecks in doc:
            n += 1
            if kind == "dup" and previous is not None:
                lines.append(previous)  # repeated exactly: rejected, never summed, ПД still loads
            elif kind in BAD_KINDS:
                lines.append(_bad(kind, uip, n, encoding))
                spoiled = True
            else:
                previous = line(uip, service=f"Услуга {n}", amount=f"{kopecks // 100}.{kopecks % 100:02d}").encode(
                    encoding
                )
                lines.append(previous)
                total += kopecks
        if not spoiled:
            expected[uip] = total
    parsed = read_charges(export(tmp_path / "h.csv", lines, encoding))
    loaded = parsed.lines.groupby("uip")["amount"].sum().to_dict()
    assert loaded == expected
    assert len(parsed.lines) + len(parsed.errors) == parsed.rows == len(lines)  # every line accounted for


def test_stored_totals_ignore_duplicates_and_foreign_lines(engine: sa.Engine, tmp_path: Path) -> None:
    rows = [line("U1").encode("cp1251"), line("U1").encode("cp1251"), line("U2", payer="Петров").encode(),
            line("U2", service="Свет").encode("cp1251"), line("U3", amount="7").encode("cp1251")]  # fmt: skip
    with UnitOfWork(engine) as uow:
        upsert_suppliers(uow.conn, [_supplier()])
        report = import_charges(uow.conn, read_charges(export(tmp_path / "c.csv", rows)))
        uow.commit()
    assert [(e.line_no, reason_kind(e.reason)) for e in report.errors] == [
        (3, DUPLICATE.format("N")), (4, UTF8_IN_CP1251), (5, HELD)
    ]  # fmt: skip
    with engine.connect() as conn:
        totals = dict(conn.execute(sa.text("SELECT uip, total FROM payment_document")).all())
        payers = conn.execute(sa.text("SELECT payer FROM payment_document")).scalars().all()
    assert totals == {"U1": 10000, "U3": 700}
    assert all("Р" not in p and "Ð" not in p for p in payers)


def _supplier() -> Supplier:
    return Supplier(inn=INN, name="УК", kpp="", bank_account="", bic="", email="")


def test_summary_counts_by_reason_and_shows_the_first_twenty(tmp_path: Path) -> None:
    errors = [LineError("c.csv", i, DUPLICATE.format(i - 1), "") for i in range(2, 40)]
    errors += [LineError("c.csv", 50, "period must be YYYY-MM", "")]
    text = summary_lines(errors, tmp_path / "rejections.csv")
    assert text[0] == f"39 rows rejected; every one is listed in {tmp_path / 'rejections.csv'}."
    assert text[1].split() == ["38", "duplicate", "of", "line", "N;", "an", "identical", "line", "is", "not", "summed"]
    assert text[2].split() == ["1", "period", "must", "be", "YYYY-MM"]
    assert text[3] == "The first 20 of 39:" and len(text) == 4 + 20
    assert summary_lines([], None) == []


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    monkeypatch.delenv("RKC_HOME", raising=False)
    home = tmp_path / "home"
    assert CliRunner().invoke(app, ["init", "--home", str(home)]).exit_code == 0
    (tmp_path / "suppliers.csv").write_text(f"inn;name\n{INN};УК\n", encoding="utf-8")
    return home


def _import(home: Path, path: Path, *extra: str, suppliers: bool = True) -> object:
    directory = ["--suppliers", str(home.parent / "suppliers.csv")] if suppliers else []
    args = ["--home", str(home), "charges", "import", str(path), *directory, *extra]
    return CliRunner().invoke(app, args, catch_exceptions=False)


def test_cli_summarises_many_rejections_and_lists_all_in_a_csv(home: Path) -> None:
    rows = [line(f"U{i}", amount="x").encode("cp1251") for i in range(30)] + [line("OK").encode("cp1251")]
    result = _import(home, export(home.parent / "c.csv", rows))
    assert result.exit_code == 0, result.output
    csv_path = home / "out" / "charges" / "1" / "rejections.csv"
    assert f"30 rows rejected; every one is listed in {csv_path}" in " ".join(result.output.split())
    assert result.output.count("  rejected ") == 20  # the first 20 lines only
    assert "Imported 1 new and 0 corrected ПД" in result.output
    data = csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    text = data.decode("utf-8-sig").splitlines()
    assert text[0] == "Файл;Строка;Причина;Текст строки" and len(text) == 31


def test_cli_reimport_of_the_same_bytes_is_one_line_no_change(home: Path, engine_for_home: sa.Engine) -> None:
    path = export(home.parent / "c.csv", [line("U1").encode("cp1251"), line("U2").encode("cp1251")])
    assert _import(home, path).exit_code == 0
    with UnitOfWork(engine_for_home) as uow:  # money posted against U1: a re-read would refuse its lines
        payments = payment_frame([{"operation_id": "1", "amount": 10000, "matched_uip": "U1", "match_rule": "uip"}])
        post_payments(uow.conn, new_register(uow.conn), payments, split_frame([(0, INN, "ЖКУ", 10000)]))
        uow.commit()
    for suppliers in (True, False):  # the first import rejected nothing: the directory changes nothing
        result = _import(home, path, suppliers=suppliers)
        assert result.exit_code == 0, result.output
        assert result.output.strip().startswith("No change: the same file was imported as import 1 on ")
        assert len(result.output.strip().splitlines()) == 1
    again = _import(home, path, "--again")  # read anyway: nothing changed, so one line and no version
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "No change: all 2 ПД of the export are as stored; 0 corrected; 0 rows rejected."


@pytest.fixture
def engine_for_home(db_url: str) -> sa.Engine:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


def test_a_reimport_with_the_suppliers_directory_retries_what_was_rejected(home: Path) -> None:
    other = "7830002293"
    path = export(home.parent / "c.csv", [line("U1").encode("cp1251"),
                                         line("U2").replace(INN, other).encode("cp1251")])  # fmt: skip
    first = _import(home, path)
    assert "Imported 1 new" in first.output and "is not in the suppliers directory" in first.output
    again = _import(home, path, suppliers=False)
    assert "No change" in again.output and "It rejected 1 rows; --again reads the file anew." in again.output
    (home.parent / "suppliers.csv").write_text(f"inn;name\n{INN};УК\n{other};Энергосбыт\n", encoding="utf-8")
    fixed = _import(home, path)  # the directory now knows the supplier: the export is read again
    assert fixed.exit_code == 0 and "Imported 1 new and 0 corrected ПД" in fixed.output, fixed.output
    assert "1 unchanged" in fixed.output  # U1, read again, is as stored: no new version of it


def test_the_rejections_csv_shows_what_it_was_given_never_a_formula(tmp_path: Path) -> None:
    """The rejected text is the importer's input: Excel must not evaluate it, nor choke on its length."""
    from reports.charges_rejections import write_rejections

    raws = ["=HYPERLINK(\"http://x\")", "#N/A;1", "-1;2", "обычная строка", "x" * 40_000]
    errors = [LineError("c.csv", i + 1, "bad line", raw) for i, raw in enumerate(raws)]
    text = write_rejections(tmp_path / "rejections.csv", errors).read_text(encoding="utf-8-sig")
    rows = text.splitlines()  # read_text turns the CRLF into LF
    assert rows[0] == "Файл;Строка;Причина;Текст строки"
    assert "'=HYPERLINK" in rows[1] and "'#N/A" in rows[2] and "'-1" in rows[3]
    assert rows[4].endswith("обычная строка") and "'обычная" not in rows[4]
    assert "[обрезано символов:" in rows[5] and len(rows[5]) < 33_000
