"""Text register parser: golden files per shipped dialect, identification, robustness, dialect files.

Golden files: every ``tests/data/registers/<name>.(txt|csv)`` of a text dialect sits beside
``<name>.golden.json`` (payments, rejected lines, declared totals). Regenerate them after a
deliberate change with ``RKC_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_parsers_text.py`` and
review the diff.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.identifiers.account import compact
from domain.identifiers.account import compact_column as compact_accounts
from domain.records import PAYMENT_COLUMNS
from parsers.base import BadFile, Chunk, pick_parser, read_head
from parsers.dialect import DialectError, load_dialect
from parsers.registry import build_parser
from parsers.text import DIALECTS_DIR, TextRegisterParser, builtin_dialects
from parsers.text_source import detect_encoding

DATA = Path(__file__).resolve().parent / "data" / "registers"
UPDATE = os.environ.get("RKC_UPDATE_GOLDEN") == "1"
# Columns pinned only where a line has them (method, QR payload): the older golden files predate them.
OPTIONAL = ("method_raw", "method", "qr", "qr_flag", "qr_detail")

# sample file -> the one shipped parser that must claim it
GOLDEN = {
    "sber_classic_cp1251.txt": "text:sber_classic",
    "sber_classic_utf8bom.txt": "text:sber_classic",
    "sber_classic_cp866.txt": "text:sber_classic",
    "sber_classic_after_footer.txt": "text:sber_classic",
    "sber_multiservice.txt": "text:sber_multiservice",
    "pipe_header.csv": "text:pipe_header",
}


def all_parsers(**kwargs: int) -> list[TextRegisterParser]:
    """One parser per shipped text dialect."""
    return [TextRegisterParser(load_dialect(DIALECTS_DIR / f"{n}.yaml"), **kwargs) for n in builtin_dialects()]


def parse_all(parser: TextRegisterParser, path: Path) -> tuple[pd.DataFrame, list, object, list[Chunk]]:
    """Drain the parser: all payments, all errors, the declared totals (last chunk), the chunks."""
    chunks = list(parser.parse(path))
    payments = pd.concat([c.payments for c in chunks], ignore_index=True)
    errors = [e for c in chunks for e in c.errors]
    assert all(c.declared is None for c in chunks[:-1])
    return payments, errors, chunks[-1].declared, chunks


def as_json(payments: pd.DataFrame, errors: list, declared: object, meta: dict) -> dict:
    """A JSON-able view of a parse, compared with the golden file."""
    rows = []
    for rec in payments.astype(object).where(payments.notna(), None).to_dict("records"):
        if rec["services"] is not None:
            rec["services"] = [list(p) for p in rec["services"]]
        rows.append({k: (int(v) if k in ("line_no", "amount", "commission") and v is not None else v)
                     for k, v in rec.items() if not (k in OPTIONAL and v is None)})  # fmt: skip
    totals = None
    if declared is not None:
        totals = asdict(declared)
        if totals["payment_order_date"] is not None:
            totals["payment_order_date"] = totals["payment_order_date"].isoformat()
    errs = [{"line_no": e.line_no, "reason": e.reason, "raw": e.raw, "amount": e.amount} for e in errors]
    return {"meta": meta, "declared": totals, "errors": errs, "payments": rows}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name: str) -> None:
    path = DATA / name
    parser = TextRegisterParser.from_dialect(GOLDEN[name].split(":", 1)[1])
    payments, errors, declared, chunks = parse_all(parser, path)
    assert list(payments.columns) == list(PAYMENT_COLUMNS)
    assert {k: str(v) for k, v in payments.dtypes.items()} == PAYMENT_COLUMNS
    assert all(e.file == str(path) for e in errors)
    got = as_json(payments, errors, declared, chunks[-1].meta)
    golden = path.with_name(path.stem + ".golden.json")
    if UPDATE or not golden.exists():
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_small_blocks_and_one_worker_give_the_same_parse(name: str) -> None:
    """Chunk boundaries (a block of 64 bytes cuts every line) and threads change nothing."""
    dialect = GOLDEN[name].split(":", 1)[1]
    whole = parse_all(TextRegisterParser.from_dialect(dialect), DATA / name)
    small = TextRegisterParser(load_dialect(DIALECTS_DIR / f"{dialect}.yaml"), block_bytes=64, workers=1)
    pieces = parse_all(small, DATA / name)
    assert len(pieces[3]) > 1
    assert as_json(*pieces[:3], {}) == as_json(*whole[:3], {})


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_each_sample_is_claimed_by_exactly_its_parser(name: str) -> None:
    path = DATA / name
    assert pick_parser(path, all_parsers()).name == GOLDEN[name]


def test_foreign_files_are_claimed_by_none(tmp_path: Path) -> None:
    foreign = {
        "image.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "empty.txt": b"",
        "blank.txt": b"\r\n\r\n   \r\n",
        "notes.txt": "Реестр платежей за март\r\nсм. вложение\r\n".encode("cp1251"),
        "charges.csv": b"uip;account;period;supplier_inn;service;amount;payer;address\n",
        "footer_only.txt": b"=0;0,00;0,00;0,00;1;01-01-2026;\r\n",
    }
    paths = [tmp_path / n for n in foreign]
    for path, data in zip(paths, foreign.values(), strict=True):
        path.write_bytes(data)
    paths += [p for p in DATA.iterdir() if p.suffix in (".xml", ".xlsx")]
    paths += [Path(__file__).resolve().parent / "data" / "charges" / "charges_cp1251.csv"]
    for path in paths:
        claims = [p.name for p in all_parsers() if p.identify(path, read_head(path))]
        assert claims == [], path.name


def test_bank_statement_sample_is_claimed_by_none(samples_dir: Path) -> None:
    for path in sorted(samples_dir.rglob("*.txt")):
        assert [p.name for p in all_parsers() if p.identify(path, read_head(path))] == [], path


def test_builtins_and_registry() -> None:
    assert {"sber_classic", "sber_multiservice", "pipe_header"} <= set(builtin_dialects())
    parser = build_parser("text", "sber_classic")
    assert (parser.name, parser.format) == ("text:sber_classic", "text")
    with pytest.raises(ValueError, match="unknown text dialect"):
        TextRegisterParser.from_dialect("no_such_bank")


# --- whole-file failures: BadFile with a reason, never a crash --------------------------------

LINE = "15-03-2026;10-27-38;8625;8625099V;{op};000012345678;ИВАНОВ ИВАН;Г ИПАТОВО;0226;1500,00;1485,00;15,00;\r\n"
FOOTER = "=1;1500,00;1485,00;15,00;517;16-03-2026;\r\n"


@pytest.mark.parametrize(
    ("case", "data", "reason"),
    [
        ("empty", b"", "empty file"),
        ("blank lines", b"\r\n \r\n\t\r\n", "empty file"),
        ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("utf-16", (LINE + FOOTER).encode("utf-16"), "binary"),
        ("footer only", FOOTER.encode("cp1251"), "no data lines"),
        ("no footer (cut short)", LINE.format(op=1).encode("cp1251"), "no footer line"),
        ("huge line", (LINE.format(op="9" * 70_000) + FOOTER).encode("cp1251"), "longer than"),
        ("no newline at all", b"1" * 300_000, "longer than"),
    ],
)
def test_bad_files(tmp_path: Path, case: str, data: bytes, reason: str) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(data)
    with pytest.raises(BadFile, match=reason) as info:
        list(TextRegisterParser.from_dialect("sber_classic").parse(path))
    assert info.value.reason


def test_truncated_register_is_a_bad_file(tmp_path: Path) -> None:
    data = (DATA / "sber_classic_cp1251.txt").read_bytes()
    path = tmp_path / "cut.txt"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadFile, match="cut short"):
        list(TextRegisterParser.from_dialect("sber_classic").parse(path))


def test_bad_bytes_reject_only_their_line(tmp_path: Path) -> None:
    """A UTF-8 file with one line in cp1251 after the head: that line is an error, the others parse."""
    n = 1000  # ~100 KB: the encoding is detected on the first 64 KiB
    lines = [LINE.format(op=i).encode() for i in range(1, n + 1)]
    lines[900] = LINE.format(op=901).encode("cp1251")
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"".join(lines) + FOOTER.replace("=1", f"={n}").encode())
    payments, errors, declared, _ = parse_all(TextRegisterParser.from_dialect("sber_classic"), path)
    assert len(payments) == n - 1 and 901 not in set(payments["line_no"])
    assert [(e.line_no, e.reason, e.amount) for e in errors] == [(901, "not valid utf-8 text", 150000)]
    assert declared.count == n


def test_control_characters_and_wrong_fixed_encoding(tmp_path: Path) -> None:
    path = tmp_path / "ctl.txt"
    path.write_bytes((LINE.format(op=1) + LINE.format(op="2\x07") + FOOTER).encode("cp1251"))
    payments, errors, _, _ = parse_all(TextRegisterParser.from_dialect("sber_classic"), path)
    assert len(payments) == 1 and "control characters" in errors[0].reason
    utf8_only = tmp_path / "utf8.yaml"
    text = (DIALECTS_DIR / "sber_classic.yaml").read_text(encoding="utf-8")
    utf8_only.write_text(text.replace("encoding: auto", "encoding: utf-8"), encoding="utf-8")
    with pytest.raises(BadFile, match="not utf-8 text"):
        list(TextRegisterParser.from_dialect(utf8_only).parse(DATA / "sber_classic_cp1251.txt"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_crash(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(data)
    for parser in all_parsers(block_bytes=256):
        parser.identify(path, read_head(path))
        try:
            for chunk in parser.parse(path):
                assert len(chunk.payments) + len(chunk.errors) >= 0
        except BadFile as exc:
            assert exc.reason


_SAMPLE = (DATA / "sber_classic_cp1251.txt").read_bytes()
_FLIP = st.tuples(st.integers(0, len(_SAMPLE) - 1), st.integers(0, 255))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(_SAMPLE)), flips=st.lists(_FLIP, max_size=5))
def test_mutated_register_never_crashes(tmp_path: Path, cut: int, flips: list[tuple[int, int]]) -> None:
    """Truncations and byte flips of a real register: lines rejected or BadFile, never an exception."""
    data = bytearray(_SAMPLE)
    for at, value in flips:
        data[at] = value
    path = tmp_path / "mutated.txt"
    path.write_bytes(bytes(data[:cut]))
    parser = TextRegisterParser.from_dialect("sber_classic")
    try:
        payments, errors, _, _ = parse_all(parser, path)
    except BadFile as exc:
        assert exc.reason
        return
    lines = [n for n, raw in enumerate(bytes(data[:cut]).split(b"\n"), 1) if raw.strip() and not raw.startswith(b"=")]
    assert sorted([*payments["line_no"], *(e.line_no for e in errors)]) == sorted(
        set(lines) | {e.line_no for e in errors}
    )


# --- normalisation pieces ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("ИВАНОВ ИВАН;Г ИПАТОВО", "cp1251"),
        ("иванов иван;г ипатово", "cp1251"),
        ("ИВАНОВ ИВАН;Г ИПАТОВО", "cp866"),
        ("щербаков эдуард юрьевич", "cp866"),
        ("ИВАНОВ ИВАН", "utf-8"),
    ],
)
def test_detect_encoding(text: str, encoding: str) -> None:
    assert detect_encoding(text.encode(encoding)) == encoding
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode()) == "utf-8-sig"
    cut = "Ж".encode()[:1]
    assert detect_encoding(text.encode() + cut) == "utf-8"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789 -ABCабв\u00a0\t", max_size=14), min_size=1, max_size=20))
def test_vectorized_account_compact_equals_the_domain_rule(values: list[str]) -> None:
    values = [v.strip() or None for v in values]
    got = compact_accounts(pa.array(values, pa.string())).to_pylist()
    assert got == [None if v is None else compact(v) for v in values]


@given(st.text(st.sampled_from("0123-  \t\u00a0\u2007\u3000\x1cA9я"), max_size=12))
def test_vectorized_account_compaction_is_the_domain_rule(number: str) -> None:
    assert compact_accounts(pa.array([number, None])).to_pylist() == [compact(number), None]


# --- dialect files ---------------------------------------------------------------------------

BASE = """
format: text
name: bank
separator: ";"
field_count: 3
fields: {date: 1, account: 2, amount: 3}
identify: {first_line: '^\\d'}
"""


@pytest.mark.parametrize(
    ("patch", "key"),
    [
        ("colour: red", "colour"),
        ("encoding: koi8-r", "encoding"),
        ("fields: {date: 1, account: 2, amount: 0}", "fields.amount"),
        ("fields: {date: 1, account: 2, amout: 3}", "fields.amout"),
        ("fields: {date: 1, amount: 3}", "fields"),
        ("fields: {date: 1, account: 2, amount: 2}", "fields"),
        ("fields: {date: 1, account: 2, amount: 4}", "fields.amount"),
        ("fields: {date: 1, account: account, amount: 3}", "fields.account"),
        ("date_formats: [dd-qq-yyyy]", "date_formats"),
        ("period_formats: [yyyy]", "period_formats"),
        ("identify: {}", "identify"),
        ("identify: {first_line: '('}", "identify.first_line"),
        ("footer: {fields: {count: 1}}", "footer.prefix"),
        ("footer: {prefix: '=', fields: {total: 1}}", "footer.fields.total"),
        ("amount: {decimal: ';'}", "amount"),
        ("format: xlsx", "format"),
        ("skip_lines: many", "skip_lines"),
    ],
)
def test_wrong_dialect_names_file_and_key(tmp_path: Path, patch: str, key: str) -> None:
    lines = [ln for ln in BASE.strip().splitlines() if ln.split(":")[0] != patch.split(":")[0]]
    path = tmp_path / "bank.yaml"
    path.write_text("\n".join([*lines, patch]) + "\n", encoding="utf-8")
    with pytest.raises(DialectError) as info:
        load_dialect(path)
    assert info.value.key == key
    assert str(path) in str(info.value) and key in str(info.value)


NEW_BANK = r"""
# A bank with "|", another column order, KEY:value fields and zero-padded sums in kopecks.
format: text
name: pochta
encoding: cp1251
separator: "|"
skip_lines: 2
field_count: 8
fields:
  operation_id: 1
  date: 2
  time: 3
  amount: 4
  commission: 5
  payer: 6
  account: {key: "CLIENTNO:"}
  uip: {key: "CLIENTDOCNO:"}
date_formats: [yyyy-mm-dd, dd/mm/yy]
time_formats: [hh:mm]
amount: {unit: kopecks}
footer:
  prefix: "ИТОГО|"
  fields: {count: 1, amount: 2, commission: 3}
identify:
  first_line: '^\d+\|\d{4}-\d{2}-\d{2}\|'
"""


def test_new_bank_is_one_yaml_file(tmp_path: Path) -> None:
    dialect = tmp_path / "pochta.yaml"
    dialect.write_text(NEW_BANK, encoding="utf-8")
    register = tmp_path / "pochta_20260315.txt"
    register.write_bytes(
        "\n".join([
            "РЕЕСТР ПЛАТЕЖЕЙ ПОЧТА",
            "ОПЕРАЦИОННЫЙ ДЕНЬ 15.03.2026",
            "77001|2026-03-15|10:27|000000150000|000000001500|ИВАНОВ И И|CLIENTNO:000012345678|CLIENTDOCNO:",
            "77002|15/03/26|11:00|000000020050|000000000000|ПЕТРОВ П П|CLIENTDOCNO:52ИП012345-02-2026|CLIENTNO:",
            "77003|2026-03-15|12:00|00000000XX00|000000000000|СИДОРОВ С С|CLIENTNO:55|CLIENTDOCNO:",
            "ИТОГО|3|000000170050|000000001500",
        ]).encode("cp1251")
    )  # fmt: skip
    parser = TextRegisterParser.from_dialect(dialect)
    assert parser.name == "text:pochta"
    assert pick_parser(register, [*all_parsers(), parser]) is parser
    payments, errors, declared, _ = parse_all(parser, register)
    assert payments[["operation_id", "paid_date", "paid_time", "account", "uip", "amount"]].to_dict("records") == [
        {"operation_id": "77001", "paid_date": "2026-03-15", "paid_time": "10:27:00", "account": "12345678",
         "uip": None, "amount": 150000},
        {"operation_id": "77002", "paid_date": "2026-03-15", "paid_time": "11:00:00", "account": None,
         "uip": "52ИП012345-02-2026", "amount": 20050},
    ]  # fmt: skip
    assert list(payments["commission"]) == [1500, 0]
    assert [(e.line_no, e.reason) for e in errors] == [(5, "amount missing or unreadable")]
    assert (declared.count, declared.amount, declared.commission, declared.transfer) == (3, 170050, 1500, None)


def test_dialect_without_operation_ids_gets_stable_synthetic_ones(tmp_path: Path) -> None:
    dialect = tmp_path / "noid.yaml"
    dialect.write_text(BASE, encoding="utf-8")
    register = tmp_path / "noid.txt"
    register.write_text("15.03.2026;001;10,00\n15.03.2026;001;10,00\n15.03.2026;002;10,00\n", encoding="utf-8")
    parser = TextRegisterParser(load_dialect(dialect), block_bytes=20, workers=2)
    first = list(parse_all(parser, register)[0]["operation_id"])
    again = list(parse_all(TextRegisterParser.from_dialect(dialect), register)[0]["operation_id"])
    assert first == again and len(set(first)) == 3 and all(i.startswith("~") for i in first)
