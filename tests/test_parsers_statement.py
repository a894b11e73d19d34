"""1CClientBankExchange statements: the shared sample, its invalid twin, encodings, broken files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.base import BadFile
from parsers.statement_1c import StatementError, identify, parse_statement


@pytest.fixture(scope="module")
def statements(samples_dir: Path) -> Path:
    """The 1CClientBankExchange samples in ../shared/samples/bank-statements."""
    path = samples_dir / "bank-statements"
    if not (path / "1CClientBankExchange-sample.txt").is_file():
        pytest.skip(f"1CClientBankExchange samples not found in {path}")
    return path


@pytest.fixture
def sample_text(statements: Path) -> str:
    """The sample as text (it is UTF-8 although it declares Кодировка=Windows)."""
    return (statements / "1CClientBankExchange-sample.txt").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str, encoding: str = "cp1251", name: str = "statement.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def test_sample_parses(statements: Path) -> None:
    # The sample is an excerpt: its four documents do not add up to the section's turnover, so the
    # document-total check is off here (see test_sample_documents_do_not_add_up).
    st_ = parse_statement(statements / "1CClientBankExchange-sample.txt", check_documents=False)
    assert st_.account == "40702810801500116391"
    assert (st_.date_from, st_.date_to) == (date(2022, 4, 1), date(2022, 10, 27))
    assert (st_.opening, st_.incoming, st_.outgoing, st_.closing) == (830000, 268183146, 255473723, 13539423)
    assert len(st_.transfers) == 4
    assert [t.incoming for t in st_.transfers] == [False, True, True, False]
    doc = st_.transfers[2]
    assert doc.number == "656731"
    assert doc.date == date(2022, 4, 18)
    assert doc.amount == 116698
    assert doc.payer_name == "ПЕТРОВ ПЁТР ПЕТРОВИЧ"
    assert doc.payer_inn == "667220109459"
    assert doc.payer_account == "40817810400030269771"
    assert doc.payer_bic == "044525974"
    assert doc.recipient_inn == "6671093163"
    assert doc.recipient_account == "40702810801500116391"
    assert doc.purpose.startswith("ЛС 1234567; ул. Тестовая")
    assert doc.line_no == 80


def test_sample_documents_do_not_add_up_when_checked(statements: Path) -> None:
    parse_statement(statements / "1CClientBankExchange-sample.txt")  # an excerpt parses by default
    with pytest.raises(StatementError, match=r"incoming documents sum to 2219\.96, ВсегоПоступило is 2681831\.46"):
        parse_statement(statements / "1CClientBankExchange-sample.txt", check_documents=True)


def test_invalid_sample_names_the_unknown_key(statements: Path) -> None:
    with pytest.raises(StatementError) as info:
        parse_statement(statements / "1CClientBankExchange-invalid.txt", check_documents=False)
    assert info.value.line == 14
    assert "НеизвестноеСвойство" in info.value.reason
    assert isinstance(info.value, BadFile)


@pytest.mark.parametrize(("declared", "encoding"), [("Windows", "cp1251"), ("DOS", "cp866")], ids=["cp1251", "cp866"])
def test_declared_encodings(tmp_path: Path, sample_text: str, declared: str, encoding: str) -> None:
    text = sample_text.replace("Кодировка=Windows", f"Кодировка={declared}")
    path = _write(tmp_path, text.replace("«", '"').replace("»", '"'), encoding)  # cp866 has no guillemets
    assert identify(path.read_bytes()[:64])
    st_ = parse_statement(path, check_documents=False)
    assert st_.transfers[2].payer_name == "ПЕТРОВ ПЁТР ПЕТРОВИЧ"
    assert st_.transfers[3].purpose.startswith("Щ150/2. Оплата за техническое обслуживание")


def _consistent(text: str) -> str:
    """The sample with turnover equal to its documents (700+14000 out, 1052.98+1166.98 in)."""
    return (
        text.replace("ВсегоПоступило=2681831.46", "ВсегоПоступило=2219.96")
        .replace("ВсегоСписано=2554737.23", "ВсегоСписано=14700.00")
        .replace("КонечныйОстаток=135394.23", "КонечныйОстаток=-4180.04")
    )


def test_consistent_statement_passes_all_checks(tmp_path: Path, sample_text: str) -> None:
    st_ = parse_statement(_write(tmp_path, _consistent(sample_text)))
    assert (st_.incoming, st_.outgoing, st_.closing) == (221996, 1470000, -418004)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("КонечныйОстаток=-4180.04", "КонечныйОстаток=-4180.05", r"balances do not tie.*КонечныйОстаток -4180\.05"),
        ("Сумма=700\n", "Сумма=701\n", r"balances do not tie|outgoing documents sum to 14701\.00"),
        ("Сумма=1052.98", "Сумма=1052.99", r"incoming documents sum to 2219\.97"),
        ("Сумма=700\n", "Сумма=7,00.0\n", r"line 23: Сумма: not an amount"),
        ("Дата=15.04.2022", "Дата=31.04.2022", r"line 22: Дата='31\.04\.2022' is not a date"),
        ("КонецДокумента\nКонецФайла\n", "КонецДокумента\n", r"no КонецФайла"),
        ("Номер=6032\n", "Номер=6032\nНомер=6033\n", r"key 'Номер' repeated"),
        ("Номер=6032\n", "Номер 6032\n", r"not a Key=Value line"),
        ("КонецРасчСчет\n", "", r"СекцияДокумент inside an unfinished section"),
        ("ДатаСписано=15.04.2022\n", "ДатаСписано=\n", None),  # direction from the account: still fine
    ],
    ids=["closing", "doc-sum-out", "doc-sum-in", "amount", "date", "truncated", "repeat", "no-eq", "nesting",
         "direction-by-account"],
)  # fmt: skip
def test_broken_statements(tmp_path: Path, sample_text: str, old: str, new: str, reason: str | None) -> None:
    text = _consistent(sample_text)
    assert old in text
    path = _write(tmp_path, text.replace(old, new, 1))
    if reason is None:
        assert parse_statement(path).transfers[0].incoming is False
        return
    with pytest.raises(StatementError, match=reason):
        parse_statement(path, check_documents=True)


def test_truncated_mid_document(tmp_path: Path, sample_text: str) -> None:
    path = _write(tmp_path, sample_text[: sample_text.index("КонецДокумента")])
    with pytest.raises(StatementError, match=r"unfinished|no КонецФайла"):
        parse_statement(path)


def test_not_a_statement(tmp_path: Path) -> None:
    path = _write(tmp_path, "hello;world\n")
    assert not identify(path.read_bytes())
    with pytest.raises(StatementError, match="not a 1CClientBankExchange file"):
        parse_statement(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=400), keep_signature=st.booleans())
def test_random_bytes_never_crash(tmp_path: Path, junk: bytes, keep_signature: bool) -> None:
    path = tmp_path / "random.txt"
    path.write_bytes((b"1CClientBankExchange\r\n" if keep_signature else b"") + junk)
    with pytest.raises(StatementError):
        parse_statement(path)
