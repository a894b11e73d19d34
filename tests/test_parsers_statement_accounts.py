"""1CClientBankExchange statements with several accounts, repeated keys and chained sections.

Every statement here is the shared sample transformed in the test: its turnover made equal to its
documents, a second account's section and document added, sections split or repeated.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.statement_1c import StatementError, parse_statement

CENTER = "40702810801500116391"  # the sample's account
OTHER = "40702810000000000002"
OTHER_SECTION = f"""СекцияРасчСчет
ДатаНачала=01.04.2022
ДатаКонца=27.10.2022
РасчСчет={OTHER}
НачальныйОстаток=100.00
ВсегоПоступило=50.00
ВсегоСписано=0.00
КонечныйОстаток=150.00
КонецРасчСчет
"""
OTHER_DOC = f"""СекцияДокумент=Платежное поручение
Номер=77
Дата=20.04.2022
Сумма=50.00
ПлательщикСчет=40817810400030269771
Плательщик1=СИДОРОВ С С
ПолучательСчет={OTHER}
ПолучательРасчСчет={OTHER}
ДатаПоступило=20.04.2022
НазначениеПлатежа=на другой счёт
КонецДокумента
"""


@pytest.fixture(scope="module")
def sample_text(samples_dir: Path) -> str:
    """The shared sample with its turnover equal to its four documents (700+14000 out, 1052.98+1166.98 in)."""
    path = samples_dir / "bank-statements" / "1CClientBankExchange-sample.txt"
    if not path.is_file():
        pytest.skip(f"1CClientBankExchange sample not found at {path}")
    return (
        path.read_text(encoding="utf-8")
        .replace("ВсегоПоступило=2681831.46", "ВсегоПоступило=2219.96")
        .replace("ВсегоСписано=2554737.23", "ВсегоСписано=14700.00")
        .replace("КонечныйОстаток=135394.23", "КонечныйОстаток=-4180.04")
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "statement.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode("cp1251", errors="replace"))
    return path


def _center_section(text: str) -> str:
    start = text.index("СекцияРасчСчет\n")
    return text[start : text.index("КонецРасчСчет\n") + len("КонецРасчСчет\n")]


def two_accounts(text: str, *, other_first: bool = False) -> str:
    """The sample with a second account's section (before or after the center's) and document."""
    center = _center_section(text)
    sections = OTHER_SECTION + center if other_first else center + OTHER_SECTION
    return text.replace(center, sections).replace("КонецФайла", OTHER_DOC + "КонецФайла")


def split_center(
    text: str, first_closing: str = "8652.98", second_opening: str = "8652.98", *, in_order: bool = False
) -> str:
    """The center's section as two consecutive periods: 01.04–17.04 (in 1052.98, out 700) and the rest."""
    center = _center_section(text)
    first = (
        center.replace("ДатаКонца=27.10.2022", "ДатаКонца=17.04.2022")
        .replace("ВсегоПоступило=2219.96", "ВсегоПоступило=1052.98")
        .replace("ВсегоСписано=14700.00", "ВсегоСписано=700.00")
        .replace("КонечныйОстаток=-4180.04", f"КонечныйОстаток={first_closing}")
    )
    second = (
        center.replace("ДатаНачала=01.04.2022", "ДатаНачала=18.04.2022")
        .replace("НачальныйОстаток=8300.00", f"НачальныйОстаток={second_opening}")
        .replace("ВсегоПоступило=2219.96", "ВсегоПоступило=1166.98")
        .replace("ВсегоСписано=14700.00", "ВсегоСписано=14000.00")
    )
    return text.replace(center, first + second if in_order else second + first)


# (case, transform, account asked for, expected (account, other accounts, ignored documents, transfers))
ACCOUNT_CASES = [
    ("one account, the center's", lambda t: t, CENTER, (CENTER, (), 0, 4)),
    ("one account, nobody asked", lambda t: t, None, (CENTER, (), 0, 4)),
    ("one account, not the center's: read, judged foreign by the caller", lambda t: t, OTHER, (CENTER, (), 0, 4)),
    ("two accounts, the center's first", two_accounts, CENTER, (CENTER, (OTHER,), 1, 4)),
    ("two accounts, the center's second", lambda t: two_accounts(t, other_first=True), CENTER,
     (CENTER, (OTHER,), 1, 4)),
    ("two accounts, the other one asked for", two_accounts, OTHER, (OTHER, (CENTER,), 4, 1)),
    ("two accounts, neither asked for: the first", two_accounts, "40702810999999999999",
     (CENTER, (OTHER,), 1, 4)),
]  # fmt: skip


@pytest.mark.parametrize(("case", "transform", "account", "expected"), ACCOUNT_CASES, ids=[c[0] for c in ACCOUNT_CASES])
def test_accounts(tmp_path: Path, sample_text: str, case: str, transform, account: str | None, expected) -> None:
    statement = parse_statement(_write(tmp_path, transform(sample_text)), account=account, check_documents=True)
    got = (statement.account, statement.other_accounts, statement.ignored_documents, len(statement.transfers))
    assert got == expected, case


def test_center_section_of_two(tmp_path: Path, sample_text: str) -> None:
    st_ = parse_statement(_write(tmp_path, two_accounts(sample_text)), account=CENTER, check_documents=True)
    assert (st_.opening, st_.incoming, st_.outgoing, st_.closing) == (830000, 221996, 1470000, -418004)
    assert "77" not in [t.number for t in st_.transfers]
    other = parse_statement(_write(tmp_path, two_accounts(sample_text)), account=OTHER, check_documents=True)
    assert (other.opening, other.incoming, other.outgoing, other.closing) == (10000, 5000, 0, 15000)
    assert [(t.number, t.incoming, t.amount) for t in other.transfers] == [("77", True, 5000)]


def test_two_accounts_without_one_asked_for(tmp_path: Path, sample_text: str) -> None:
    with pytest.raises(StatementError, match=f"several accounts \\({CENTER}, {OTHER}\\)"):
        parse_statement(_write(tmp_path, two_accounts(sample_text)))


# (case, old, new, error or None when accepted): keys repeated within one section
REPEAT_CASES = [
    ("header, same value", "РасчСчет=40702810801500116391\nСекцияРасчСчет",
     "РасчСчет=40702810801500116391\nРасчСчет=40702810801500116391\nСекцияРасчСчет", None),
    ("account section, same value", "РасчСчет=40702810801500116391\nНачальныйОстаток",
     "РасчСчет=40702810801500116391\nРасчСчет=40702810801500116391\nНачальныйОстаток", None),
    ("document, same value", "Номер=6032\n", "Номер=6032\nНомер=6032\n", None),
    ("document, same value but blanks", "Номер=6032\n", "Номер=6032\nНомер = 6032 \n", None),
    ("document, another value", "Номер=6032\n", "Номер=6032\nНомер=6033\n",
     r"line 52: key 'Номер' repeated with another value \('6032' on line 51\)"),
    ("account section, another balance", "НачальныйОстаток=8300.00\n",
     "НачальныйОстаток=8300.00\nНачальныйОстаток=8300.01\n",
     r"line 16: key 'НачальныйОстаток' repeated with another value \('8300\.00' on line 15\)"),
    ("header, another account", "РасчСчет=40702810801500116391\nСекцияРасчСчет",
     "РасчСчет=40702810801500116391\nРасчСчет=40702810801500116392\nСекцияРасчСчет",
     r"line 11: key 'РасчСчет' repeated with another value"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "old", "new", "error"), REPEAT_CASES, ids=[c[0] for c in REPEAT_CASES])
def test_repeated_keys(tmp_path: Path, sample_text: str, case: str, old: str, new: str, error: str | None) -> None:
    assert old in sample_text, case
    path = _write(tmp_path, sample_text.replace(old, new, 1))
    if error is None:
        statement = parse_statement(path, account=CENTER, check_documents=True)
        assert [t.number for t in statement.transfers] == ["61298", "6032", "656731", "239"]
        return
    with pytest.raises(StatementError, match=error):
        parse_statement(path, account=CENTER)


# (case, transform, error or None): balances per account, several sections of one account
BALANCE_CASES = [
    ("two consecutive sections chain", lambda t: split_center(t, in_order=True), None),
    ("sections chain in date order, not file order", split_center, None),
    ("a section opens with another balance than the last closed",
     lambda t: split_center(t, second_opening="8652.99", first_closing="8652.98"),
     r"line \d+: НачальныйОстаток 8652\.99 is not the previous section's КонечныйОстаток 8652\.98"),
    ("a section that does not tie on its own",
     lambda t: split_center(t, first_closing="8652.97", second_opening="8652.97"),
     r"line \d+: balances do not tie: НачальныйОстаток 8300\.00 \+ поступило 1052\.98 − списано 700\.00 = "
     r"8652\.98, КонечныйОстаток 8652\.97"),
    ("another account's section that does not tie is not read",
     lambda t: two_accounts(t).replace("КонечныйОстаток=150.00", "КонечныйОстаток=151.00"), None),
    ("the center's section does not tie beside another account's",
     lambda t: two_accounts(t).replace("КонечныйОстаток=-4180.04", "КонечныйОстаток=-4180.05"),
     r"balances do not tie.*КонечныйОстаток -4180\.05"),
    ("documents of another account do not count in the center's turnover",
     lambda t: two_accounts(t).replace("ВсегоПоступило=2219.96", "ВсегоПоступило=2269.96")
     .replace("КонечныйОстаток=-4180.04", "КонечныйОстаток=-4130.04"),
     r"incoming documents sum to 2219\.96, ВсегоПоступило is 2269\.96"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "transform", "error"), BALANCE_CASES, ids=[c[0] for c in BALANCE_CASES])
def test_balances_per_account(tmp_path: Path, sample_text: str, case: str, transform, error: str | None) -> None:
    path = _write(tmp_path, transform(sample_text))
    if error is None:
        statement = parse_statement(path, account=CENTER, check_documents=True)
        assert (statement.opening, statement.closing) == (830000, -418004), case
        assert (statement.incoming, statement.outgoing) == (221996, 1470000), case
        return
    with pytest.raises(StatementError, match=error):
        parse_statement(path, account=CENTER, check_documents=True)


def test_split_sections_span_the_whole_period(tmp_path: Path, sample_text: str) -> None:
    statement = parse_statement(_write(tmp_path, split_center(sample_text)), account=CENTER)
    assert (statement.date_from.isoformat(), statement.date_to.isoformat()) == ("2022-04-01", "2022-10-27")
