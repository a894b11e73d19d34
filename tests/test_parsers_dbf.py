"""DBF registers: golden samples per profile, identification, encodings, bad records, deleted and
totals records, truncated files, profile validation, the channel's ``format: dbf``."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.records import PAYMENT_COLUMNS, RecordKind
from parsers.base import CHUNK_ROWS, BadFile, read_head
from parsers.census import count_records
from parsers.dbf import DbfRegisterParser
from parsers.dbf_profile import load_profile
from parsers.dialect import DialectError
from parsers.registry import build_parser
from tests.dbfutil import (
    CP866,
    CP1251,
    NO_DRIVER,
    POCHTA_FIELDS,
    SBER_FIELDS,
    Field,
    dbf_bytes,
    sber_record,
    write_dbf,
)
from tests.golden import check_golden, parsed_summary

CORPUS = Path(__file__).parent / "data" / "corpus" / "dbf"
SAMPLES = [
    ("dbf_sber_branch", "sber_branch_cp866.dbf"),
    ("dbf_sber_branch", "sber_branch_nodriver.dbf"),
    ("dbf_pochta", "pochta_cp1251.dbf"),
]


def accounted(summary: dict) -> int:
    """Payments + non-payments + rejected of a parsed summary."""
    return len(summary["payments"]) + sum(summary["non_payments"].values()) + len(summary["rejected"])


@pytest.mark.parametrize(("profile", "sample"), SAMPLES)
def test_golden(profile: str, sample: str) -> None:
    path = CORPUS / sample
    parser = DbfRegisterParser.from_profile(profile)
    assert parser.identify(path, read_head(path))
    summary = parsed_summary(parser, path)
    check_golden(summary, path)
    assert accounted(summary) == count_records(path)


@pytest.mark.parametrize(("profile", "sample"), SAMPLES)
def test_other_profile_does_not_claim(profile: str, sample: str) -> None:
    other = "dbf_pochta" if profile == "dbf_sber_branch" else "dbf_sber_branch"
    path = CORPUS / sample
    assert not DbfRegisterParser.from_profile(other).identify(path, read_head(path))


def test_text_and_xlsx_are_not_dbf(tmp_path: Path) -> None:
    text = tmp_path / "reg.dbf"
    text.write_text("15-03-2026;10-27-38;8625;LS;SUMMA;DATA\n", encoding="cp1251")
    zipped = tmp_path / "reg2.dbf"
    zipped.write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    parser = DbfRegisterParser.from_profile("dbf_sber_branch")
    assert not parser.identify(text, read_head(text))
    assert not parser.identify(zipped, read_head(zipped))


def test_encodings_same_payments() -> None:
    """The same register with a cp866 language driver and without one (told by letter count)."""
    parser = DbfRegisterParser.from_profile("dbf_sber_branch")
    with_driver = parsed_summary(parser, CORPUS / "sber_branch_cp866.dbf")
    without = parsed_summary(parser, CORPUS / "sber_branch_nodriver.dbf")
    assert with_driver == without
    assert with_driver["payments"][0]["payer"] == "ИВАНОВ ИВАН ИВАНОВИЧ"


@pytest.mark.parametrize(("encoding", "driver"), [("cp866", CP866), ("cp1251", CP1251), ("cp1251", NO_DRIVER),
                                                  ("cp866", NO_DRIVER)])  # fmt: skip
def test_cyrillic_in_either_code_page(tmp_path: Path, encoding: str, driver: int) -> None:
    records = [(" ", sber_record("1", "ЩЕРБАКОВА ЮЛИЯ ЭДУАРДОВНА", "10.00", op="1", adres="УЛ ЖУКОВА Д 3"))]
    path = write_dbf(tmp_path / "r.dbf", SBER_FIELDS, records, encoding=encoding, driver=driver)
    summary = parsed_summary(DbfRegisterParser.from_profile("dbf_sber_branch"), path)
    assert summary["payments"][0]["payer"] == "ЩЕРБАКОВА ЮЛИЯ ЭДУАРДОВНА"
    assert summary["payments"][0]["address"] == "УЛ ЖУКОВА Д 3"


def sber(tmp_path: Path, records: list, **kw: object) -> dict:
    path = write_dbf(tmp_path / "r.dbf", SBER_FIELDS, records, **kw)
    summary = parsed_summary(DbfRegisterParser.from_profile("dbf_sber_branch"), path)
    assert accounted(summary) == count_records(path)
    return summary


# Bad records: (record, reason fragment, readable amount in kopecks).
BAD = [
    (sber_record("1", "А", "12,3.4", op="1"), "amount missing or unreadable", None),
    (sber_record("1", "А", "", op="1"), "amount missing or unreadable", None),
    (sber_record("1", "А", "-5.00", op="1"), "amount missing or unreadable", None),
    (sber_record("1", "А", "1.005", op="1"), "amount missing or unreadable", None),
    (sber_record("1", "А", "*******", op="1"), "amount missing or unreadable", None),
    (sber_record("1", "А", "0.00", op="1"), "amount is zero", 0),
    (sber_record("1", "А", "100.00", op="1", day="20260231"), "date missing or unreadable", 10000),
    (sber_record("1", "А", "100.00", op="1", day="        "), "date missing or unreadable", 10000),
    (sber_record("1", "А", "100.00", op="1", day="2026AB01"), "date missing or unreadable", 10000),
    (sber_record("", "А", "250.00", op="1"), "no account, УИП or ЕЛС", 25000),
    (sber_record("1", "А", "250.00", op=""), "operation id missing", 25000),
    (sber_record("1", "А", "250.00", op="1", komis="x"), "commission unreadable", 25000),
    (sber_record("1", "А", "250.00", op="1", komis="300.00"), "commission exceeds the amount", 25000),
]


@pytest.mark.parametrize(("record", "reason", "amount"), BAD)
def test_bad_record(tmp_path: Path, record: list, reason: str, amount: int | None) -> None:
    good = sber_record("000012345678", "ИВАНОВ", "100.00", op="9")
    summary = sber(tmp_path, [(" ", good), (" ", record), (" ", good)])
    assert [p["line_no"] for p in summary["payments"]] == [1, 3]
    (rejected,) = summary["rejected"]
    assert rejected["line_no"] == 2
    assert reason in rejected["reason"]
    assert rejected["amount"] == amount


def test_rejected_record_names_number_and_raw_text(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "r.dbf", SBER_FIELDS, [(" ", sber_record("007", "ИВАНОВ", "1x", op="5"))])
    chunk = next(DbfRegisterParser.from_profile("dbf_sber_branch").parse(path))
    (error,) = chunk.errors
    assert error.line_no == 1
    assert error.raw == "007;ИВАНОВ;Г ИПАТОВО УЛ ЛЕНИНА Д 1;0226;1x;;20260315;5"


def test_unknown_deletion_flag_is_rejected(tmp_path: Path) -> None:
    summary = sber(tmp_path, [("?", sber_record("1", "А", "70.00", op="1")), (" ", sber_record("2", "Б", "1", op="2"))])
    assert summary["rejected"] == [{"line_no": 1, "reason": "deletion flag is neither ' ' nor '*'", "amount": 7000}]


def test_deleted_records_are_counted_not_read(tmp_path: Path) -> None:
    records = [("*", sber_record("1", "А", "bad", op="")), (" ", sber_record("2", "Б", "5.00", op="2")),
               ("*", sber_record("3", "В", "6.00", op="3"))]  # fmt: skip
    summary = sber(tmp_path, records)
    assert [p["account_raw"] for p in summary["payments"]] == ["2"]
    assert summary["non_payments"] == {RecordKind.DELETED.value: 2}
    assert summary["rejected"] == []


def test_totals_record_anywhere_and_marker_is_a_word(tmp_path: Path) -> None:
    records = [
        (" ", sber_record("", "Итого:", "15.00", komis="0.15", op="", day="")),
        (" ", sber_record("1", "ИТОГОВЫЙ ИВАН", "10.00", op="1")),  # a surname, not the marker
        (" ", sber_record("2", "Б", "5.00", op="2")),
    ]
    summary = sber(tmp_path, records)
    assert summary["declared"] == {"amount": 1500, "commission": 15}
    assert summary["non_payments"] == {RecordKind.TOTALS.value: 1}
    assert len(summary["payments"]) == 2


def test_second_totals_record_is_rejected(tmp_path: Path) -> None:
    records = [(" ", sber_record("1", "А", "5.00", op="1")), (" ", sber_record("", "ИТОГО", "5.00", op="")),
               (" ", sber_record("", "ВСЕГО", "5.00", op=""))]  # fmt: skip
    summary = sber(tmp_path, records)
    assert summary["declared"] == {"amount": 500}
    assert summary["rejected"][0]["line_no"] == 3 and "second totals record" in summary["rejected"][0]["reason"]


def test_unreadable_totals_is_rejected(tmp_path: Path) -> None:
    summary = sber(tmp_path, [(" ", sber_record("1", "А", "5.00", op="1")), (" ", sber_record("", "ИТОГО", "5,0,0"))])
    assert summary["declared"] is None
    assert summary["rejected"] == [{"line_no": 2, "reason": "totals record: amount unreadable", "amount": None}]


def test_required_totals_missing_is_bad_file(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    text = Path(load_profile("dbf_sber_branch").source).read_text("utf-8")
    profile.write_text(text.replace("  markers: [ИТОГО, Всего]", "  markers: [ИТОГО]\n  required: true"), "utf-8")
    path = write_dbf(tmp_path / "r.dbf", SBER_FIELDS, [(" ", sber_record("1", "А", "5.00", op="1"))])
    with pytest.raises(BadFile, match="no totals record"):
        list(DbfRegisterParser.from_profile(profile).parse(path))


@pytest.mark.parametrize("missing", [1, 3])
def test_truncated_file_is_bad_file(tmp_path: Path, missing: int) -> None:
    """Decision: a DBF shorter than its header declares is refused whole (quarantined), not half read."""
    records = [(" ", sber_record(str(i), "А", "5.00", op=str(i))) for i in range(1, 6)]
    data = dbf_bytes(SBER_FIELDS, records, eof=False)
    record_len = 1 + sum(f.length for f in SBER_FIELDS)
    path = tmp_path / "r.dbf"
    path.write_bytes(data[: len(data) - missing * record_len + 7])  # a partial record at the end
    with pytest.raises(BadFile, match="truncated DBF: the header declares 5 records, the file holds"):
        list(DbfRegisterParser.from_profile("dbf_sber_branch").parse(path))


def test_records_past_the_declared_count_are_bad_file(tmp_path: Path) -> None:
    records = [(" ", sber_record(str(i), "А", "5.00", op=str(i))) for i in range(1, 4)]
    path = tmp_path / "r.dbf"
    path.write_bytes(dbf_bytes(SBER_FIELDS, records, declared=2))
    with pytest.raises(BadFile, match="records past the 2"):
        list(DbfRegisterParser.from_profile("dbf_sber_branch").parse(path))


def test_missing_eof_mark_and_empty_table(tmp_path: Path) -> None:
    summary = sber(tmp_path, [(" ", sber_record("1", "А", "5.00", op="1"))], eof=False)
    assert len(summary["payments"]) == 1
    empty = sber(tmp_path, [])
    assert empty["payments"] == [] and empty["rejected"] == []


def test_missing_required_field_names_what_was_looked_for(tmp_path: Path) -> None:
    fields = [f if f.name != "SUMMA" else Field("SUMMA_X", "N", 12, 2) for f in SBER_FIELDS]
    path = write_dbf(tmp_path / "r.dbf", fields, [(" ", sber_record("1", "А", "5.00", op="1"))])
    with pytest.raises(BadFile, match=r"no DBF field for amount: looked for SUMMA; the table has LS, FIO"):
        list(DbfRegisterParser.from_profile("dbf_sber_branch").parse(path))


def test_chunks_stream_and_totals_on_the_last(tmp_path: Path) -> None:
    records = [(" ", sber_record(str(i), "А", "1.00", op=str(i))) for i in range(1, 8)]
    records.insert(2, (" ", sber_record("", "ИТОГО", "7.00", op="")))
    path = write_dbf(tmp_path / "r.dbf", SBER_FIELDS, records)
    chunks = list(DbfRegisterParser(load_profile("dbf_sber_branch"), chunk_rows=3).parse(path))
    assert [len(c.payments) for c in chunks] == [2, 3, 2]
    assert [c.declared for c in chunks[:-1]] == [None, None] and chunks[-1].declared.amount == 700
    assert list(chunks[0].payments.columns) == list(PAYMENT_COLUMNS)
    assert CHUNK_ROWS >= 3


def test_kopecks_profile_and_numeric_operation_id(tmp_path: Path) -> None:
    text = Path(load_profile("dbf_pochta").source).read_text("utf-8").replace("  unit: rubles", "  unit: kopecks")
    profile = tmp_path / "kop.yaml"
    profile.write_text(text, "utf-8")
    fields = [f if f.name not in ("SUM_PL", "SUM_KOM") else Field(f.name, "N", 12, 0) for f in POCHTA_FIELDS]
    row = ["00123", "Иванов", "", "022026", "150000", "1500", "15.03.2026", "", "42"]
    path = write_dbf(tmp_path / "r.dbf", fields, [(" ", row)], encoding="cp1251", driver=CP1251)
    (payment,) = parsed_summary(DbfRegisterParser.from_profile(profile), path)["payments"]
    assert (payment["amount"], payment["commission"], payment["operation_id"]) == (150000, 1500, "42")
    assert payment["account_raw"] == "00123" and payment["paid_time"] is None


def test_invalid_cp1251_byte_is_rejected(tmp_path: Path) -> None:
    row = sber_record("1", "А", "5.00", op="1")
    row[1] = b"\x98\x98"  # undefined in cp1251
    summary = sber(tmp_path, [(" ", row)], encoding="cp1251", driver=CP1251)
    assert summary["rejected"][0]["reason"] == "text not valid in cp1251"


def test_channel_format_dbf_builds_the_parser() -> None:
    from rkc.config_channels import FORMATS

    assert "dbf" in FORMATS
    parser = build_parser("dbf", "dbf_pochta")
    assert isinstance(parser, DbfRegisterParser) and parser.name == "dbf:dbf_pochta" and parser.format == "dbf"
    assert build_parser("dbf", None).name == "dbf:dbf_sber_branch"


PROFILE_ERRORS = [
    ("format: text\n", "format"),
    ("format: dbf\nencoding: koi8\n", "encoding"),
    ("format: dbf\nfields: {amount: SUMMA, date: DATA, account: LS, bogus: X}\n", "fields.bogus"),
    ("format: dbf\nfields: {amount: SUMMA, date: DATA, account: 'L S'}\n", "fields.account"),
    ("format: dbf\nfields: {amount: SUMMA, date: DATA, payer: FIO}\nrequired: [date, amount]\n", "fields"),
    ("format: dbf\nfields: {amount: SUMMA, account: LS}\n", "required"),
    ("format: dbf\nfields: {amount: SUMMA, date: DATA, account: LS}\namount: {unit: cents}\n", "amount.unit"),
    ("format: dbf\nfields: {amount: SUMMA, date: DATA, account: LS}\n", "identify.fields"),
    ("format: dbf\nfields: {amount: SUMMA, date: DATA, account: LS}\nidentify: {fields: [LS]}\n"
     "date_formats: [qq.mm]\n", "date_formats"),
    ("format: dbf\nfields: {amount: SUMMA, date: DATA, account: LS}\nidentify: {fields: [LS]}\n"
     "totals: {markers: [ИТОГО]}\n", "totals.field"),
    ("format: dbf\nfields: {amount: SUMMA, date: DATA, account: LS}\nidentify: {fields: [LS]}\n"
     "totals: {field: FIO, required: maybe}\n", "totals.required"),
    ("format: dbf\nfields: {amount: SUMMA, date: DATA, account: LS}\nidentify: {fields: [LS]}\nskip: 1\n", "skip"),
    ("format: [dbf\n", "(file)"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key"), PROFILE_ERRORS)
def test_profile_errors_name_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DialectError) as info:
        load_profile(path)
    assert info.value.key == key
    assert str(path) in str(info.value)


def test_shipped_profiles_load() -> None:
    for name in ("dbf_sber_branch", "dbf_pochta"):
        profile = load_profile(name)
        assert profile.name == name and profile.totals is not None


def test_new_bank_by_configuration_only(tmp_path: Path) -> None:
    """The profile of docs/DIALECTS.md's DBF example, taken from the document, reads its bank's table."""
    doc = (Path(__file__).parents[1] / "docs" / "DIALECTS.md").read_text("utf-8")
    section = doc.split("### Example: a new bank by configuration only", 1)[1]
    profile = tmp_path / "dbf_rnkb.yaml"
    profile.write_text(section.split("```yaml\n", 1)[1].split("```", 1)[0], "utf-8")
    fields = [Field("LSCHET", "C", 20), Field("FAM", "C", 60), Field("ADR", "C", 100), Field("PER", "C", 7),
              Field("SUMMA", "N", 15, 2), Field("KOM", "N", 10, 2), Field("DATE_PL", "D", 8),
              Field("NOM_OP", "C", 20)]  # fmt: skip
    records = [
        (" ", ["0001002003", "Ковальчук Олег", "г. Симферополь, ул. Гоголя, 5-12", "03.2026", "2100.40", "21.00",
               "20260315", "A-0001"]),
        (" ", ["0001002004", "Бондаренко Ирина", "г. Керчь, ул. Ленина, 1", "02.2026", "500", "", "20260316",
               "A-0002"]),
        (" ", ["", "", "Итого  по реестру:", "", "2600.40", "21.00", "", ""]),
    ]  # fmt: skip
    path = write_dbf(tmp_path / "rnkb.dbf", fields, records, encoding="cp866", driver=NO_DRIVER)
    parser = build_parser("dbf", str(profile))
    assert parser.name == "dbf:dbf_rnkb" and parser.identify(path, read_head(path))
    assert not DbfRegisterParser.from_profile("dbf_sber_branch").identify(path, read_head(path))
    summary = parsed_summary(parser, path)
    assert [(p["account_raw"], p["period"], p["amount"], p["operation_id"]) for p in summary["payments"]] == [
        ("0001002003", "2026-03", 210040, "A-0001"), ("0001002004", "2026-02", 50000, "A-0002")]  # fmt: skip
    assert summary["declared"] == {"amount": 260040, "commission": 2100}
    assert summary["rejected"] == [] and summary["non_payments"] == {"totals": 1}


def test_utf8_profile_reads_multibyte_fields(tmp_path: Path) -> None:
    """A multi-byte encoding takes the per-value path: widths are bytes, not characters."""
    profile = tmp_path / "utf8.yaml"
    profile.write_text(Path(load_profile("dbf_sber_branch").source).read_text("utf-8")
                       .replace("encoding: auto", "encoding: utf-8"), "utf-8")  # fmt: skip
    records = [(" ", sber_record("  0042", "ЁЖИКОВ ЮРИЙ", "12.30", op="7", adres="")),
               (" ", sber_record("", "ИТОГО", "12.30", op="", day=""))]  # fmt: skip
    summary = sber_like(tmp_path, profile, records, encoding="utf-8")
    got = [(p["account_raw"], p["payer"], p["address"]) for p in summary["payments"]]
    assert got == [("0042", "ЁЖИКОВ ЮРИЙ", None)]
    assert summary["declared"] == {"amount": 1230}


def sber_like(tmp_path: Path, profile: Path, records: list, **kw: object) -> dict:
    path = write_dbf(tmp_path / "r.dbf", SBER_FIELDS, records, driver=NO_DRIVER, **kw)
    summary = parsed_summary(DbfRegisterParser.from_profile(profile), path)
    assert accounted(summary) == count_records(path)
    return summary


def test_pochta_totals_count_unreadable_is_rejected(tmp_path: Path) -> None:
    row = ["1", "Иванов", "", "022026", "5.00", "", "15.03.2026", "", "1"]
    totals = ["", "Итого", "", "", "5.00", "", "", "", "1.5"]
    path = write_dbf(tmp_path / "r.dbf", POCHTA_FIELDS, [(" ", row), (" ", totals)], encoding="cp1251", driver=CP1251)
    summary = parsed_summary(DbfRegisterParser.from_profile("dbf_pochta"), path)
    assert summary["rejected"] == [{"line_no": 2, "reason": "totals record: count unreadable", "amount": None}]
    assert summary["declared"] is None and accounted(summary) == count_records(path)
