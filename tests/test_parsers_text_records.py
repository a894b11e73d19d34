"""Record accounting of text registers: every line is a payment, a counted non-payment or rejected.

The other side of the sum is ``parsers.census.count_records`` (lines counted without the dialect),
so a line the parser drops unseen makes these tests fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.census import count_records
from parsers.dialect import load_dialect
from parsers.text import DIALECTS_DIR, TextRegisterParser
from tests.golden import parsed_summary

DATA = Path(__file__).resolve().parent / "data" / "registers"
SAMPLES = {
    "sber_classic_cp1251.txt": "sber_classic",
    "sber_classic_utf8bom.txt": "sber_classic",
    "sber_classic_cp866.txt": "sber_classic",
    "sber_classic_after_footer.txt": "sber_classic",
    "sber_multiservice.txt": "sber_multiservice",
    "pipe_header.csv": "pipe_header",
}

# A Sber-like register whose bank writes a "#" header block of varying length.
HASH_DIALECT = """
format: text
name: hashhead
separator: ";"
skip_lines: {skip}
field_count: 4
{comments}
fields: {{date: 1, operation_id: 2, account: 3, amount: 4}}
footer: {{prefix: "=", fields: {{count: 1, amount: 2}}}}
identify: {{first_line: '^\\d{{2}}\\.\\d{{2}}\\.\\d{{4}};'}}
"""


def parser_for(tmp_path: Path, skip: int, comments: bool, block_bytes: int = 1 << 20) -> TextRegisterParser:
    """The ``hashhead`` dialect with ``skip_lines: skip`` (and ``comment_prefix: "#"``)."""
    path = tmp_path / f"hashhead_{skip}_{comments}.yaml"
    path.write_text(HASH_DIALECT.format(skip=skip, comments='comment_prefix: "#"' if comments else ""), "utf-8")
    return TextRegisterParser(load_dialect(path), block_bytes=block_bytes, workers=1)


def balance(summary: dict) -> int:
    """Payments + non-payments + rejected lines of a parse."""
    return len(summary["payments"]) + sum(summary["non_payments"].values()) + len(summary["rejected"])


@pytest.mark.parametrize("block_bytes", [1 << 22, 64, 7])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_samples_account_for_every_line(name: str, block_bytes: int) -> None:
    parser = TextRegisterParser(load_dialect(DIALECTS_DIR / f"{SAMPLES[name]}.yaml"), block_bytes=block_bytes)
    summary = parsed_summary(parser, DATA / name)
    assert balance(summary) == count_records(DATA / name)
    assert summary["non_payments"].get("footer", 0) + summary["non_payments"].get("header", 0) == 1


def test_short_header_block_rejects_the_payment_loudly(tmp_path: Path) -> None:
    """The issue's register: a 3-line "#" block under ``skip_lines: 4`` lost its 900.00 payment."""
    register = tmp_path / "r.txt"
    register.write_text(
        "#REESTR\n#DATE 15.03.2026\n#BANK SBER\n"
        "15.03.2026;1;0012;900,00\n15.03.2026;2;0013;1500,00\n15.03.2026;3;0014;1050,00\n=3;3450,00\n",
        encoding="utf-8",
    )
    for comments in (False, True):
        summary = parsed_summary(parser_for(tmp_path, 4, comments), register)
        assert [p["amount"] for p in summary["payments"]] == [150000, 105000]
        assert [(e["line_no"], e["amount"]) for e in summary["rejected"]] == [(4, 90000)]
        assert "skip_lines" in summary["rejected"][0]["reason"]
        kind = "comment" if comments else "title"
        assert summary["non_payments"] == {kind: 3, "footer": 1}
        assert balance(summary) == count_records(register) == 7


def test_comment_lines_beyond_skip_lines_and_ctrl_z(tmp_path: Path) -> None:
    register = tmp_path / "r.txt"
    register.write_bytes(b"#A\r\n#B\r\n#C\r\n\r\n15.03.2026;1;0012;900,00\r\n#note\r\n=1;900,00\r\n\x1a")
    summary = parsed_summary(parser_for(tmp_path, 1, True), register)
    assert [p["amount"] for p in summary["payments"]] == [90000]
    assert summary["rejected"] == []
    assert summary["non_payments"] == {"blank": 2, "comment": 4, "footer": 1}
    assert balance(summary) == count_records(register) == 8


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.integers(0, 6),
    skip=st.integers(0, 8),
    comments=st.booleans(),
    blanks=st.lists(st.integers(0, 12), max_size=3),
    amounts=st.lists(st.integers(1, 10**8), min_size=1, max_size=8),
    block_bytes=st.sampled_from([5, 23, 64, 1 << 20]),
    crlf=st.booleans(),
)
def test_no_payment_disappears_whatever_the_header_length(
    tmp_path: Path, header: int, skip: int, comments: bool, blanks: list[int], amounts: list[int], block_bytes: int,
    crlf: bool,
) -> None:  # fmt: skip
    lines = [f"#HEADER LINE {i}" for i in range(header)]
    payment_at: dict[int, int] = {}
    for i, kop in enumerate(amounts):
        lines.append(f"15.03.2026;{i + 1};{1000 + i:06d};{kop // 100},{kop % 100:02d}")
        payment_at[len(lines)] = kop
    lines.append(f"={len(amounts)};{sum(amounts) // 100},{sum(amounts) % 100:02d}")
    for at in sorted(blanks, reverse=True):  # blank lines anywhere; renumber the payments after them
        at = min(at, len(lines))
        lines.insert(at, "")
        payment_at = {(n + 1 if n > at else n): k for n, k in payment_at.items()}
    register = tmp_path / "r.txt"
    register.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8") + b"\n")
    try:
        summary = parsed_summary(parser_for(tmp_path, skip, comments, block_bytes), register)
    except Exception as exc:  # only "no data lines" is allowed: every payment fell in the preamble
        assert "no data lines" in str(exc) and len(amounts) + header <= skip + len(blanks)
        return
    parsed = {p["line_no"]: p["amount"] for p in summary["payments"]}
    rejected = {e["line_no"]: e["amount"] for e in summary["rejected"]}
    for line_no, kop in payment_at.items():
        assert parsed.get(line_no, rejected.get(line_no)) == kop, (line_no, summary)
    assert balance(summary) == count_records(register)


def test_a_comment_pattern_never_hides_a_payment(tmp_path: Path) -> None:
    """A commented-out payment line, or a comment regex that catches payment lines, is rejected loudly."""
    register = tmp_path / "r.txt"
    register.write_text("#REESTR\n#15.03.2026;1;0012;900,00\n15.03.2026;2;0013;1500,00\n=2;2400,00\n", "utf-8")
    summary = parsed_summary(parser_for(tmp_path, 0, True), register)
    assert [(e["line_no"], e["amount"]) for e in summary["rejected"]] == [(2, 90000)]
    assert "comment or totals pattern" in summary["rejected"][0]["reason"]
    assert summary["non_payments"] == {"comment": 1, "footer": 1}
    assert balance(summary) == count_records(register)


HEADER_DIALECT = """
format: text
name: pipehead
separator: "|"
header: true
skip_lines: {skip}
fields: {{date: date, account: [account, ls], amount: amount}}
identify: {{header: '{ident}'}}
"""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    titles=st.integers(0, 4),
    skip=st.integers(0, 7),
    regex=st.booleans(),
    amounts=st.lists(st.integers(1, 10**8), min_size=1, max_size=6),
    block_bytes=st.sampled_from([6, 31, 1 << 20]),
)
def test_header_dialects_lose_no_payment_whatever_the_preamble(
    tmp_path: Path, titles: int, skip: int, regex: bool, amounts: list[int], block_bytes: int
) -> None:
    dialect = tmp_path / "pipehead.yaml"
    dialect.write_text(HEADER_DIALECT.format(skip=skip, ident="^date[|]" if regex else "(?i)amount"), "utf-8")
    lines = [f"РЕЕСТР {i}" for i in range(titles)] + ["date|account|amount"]
    payment_at = {}
    for i, kop in enumerate(amounts):
        lines.append(f"15.03.2026|{100 + i}|{kop // 100}.{kop % 100:02d}")
        payment_at[len(lines)] = kop
    register = tmp_path / "r.txt"
    register.write_text("\n".join(lines) + "\n", "utf-8")
    parser = TextRegisterParser(load_dialect(dialect), block_bytes=block_bytes, workers=1)
    try:
        summary = parsed_summary(parser, register)
    except Exception as exc:  # every payment lay in the preamble: nothing left to read
        assert "no data lines" in str(exc) and titles + 1 + len(amounts) <= skip
        return
    assert summary["non_payments"].get("header") == 1
    parsed = {p["line_no"]: p["amount"] for p in summary["payments"]}
    rejected = {e["line_no"]: e["amount"] for e in summary["rejected"]}
    for line_no, kop in payment_at.items():
        assert parsed.get(line_no, rejected.get(line_no)) == kop
    assert balance(summary) == count_records(register)
