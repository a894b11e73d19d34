"""QR payloads on register lines (domain/qr_lines.py): what each payload gives its line, table-driven;
the findings against the line; the column-wise reading agrees with ``domain.qr.parse``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.qr import compose, parse
from domain.qr_lines import fill_from_payloads, payload_findings, read_line_payloads, rejection_notes

PAYEE = ("Name=ООО \"РКЦ\"|PersonalAcc=40702810938000000001|BankName=ПАО Сбербанк|BIC=044525225"
         "|CorrespAcc=30101810400000000225|PayeeINN=7707083893")  # fmt: skip


def qr(tail: str, head: str = "ST00012") -> str:
    """A payload: the center as payee, then ``tail`` (the payer's part)."""
    return f"{head}|{PAYEE}|{tail}"


PAYLOADS = [
    # (case, payload, ЛС, УИП, period, Sum in kopecks, error contains)
    ("ЛС, period MMYYYY, Sum", qr("PersAcc=000123|PaymPeriod=102026|Sum=150075"), "000123", None, "2026-10", 150075,
     None),
    ("ИПД in UIN, as printed receipts do", qr("PersAcc=7|UIN=26АА000101-01-1026|Sum=100"), "7",
     "26АА000101-01-1026", None, 100, None),
    ("УИН of ГИС ГМП in UIN", qr("UIN=18810177160002283516"), None, "18810177160002283516", None, None, None),
    ("UIN 0 says none", qr("PersAcc=5|UIN=0"), "5", None, None, None, None),
    ("keys in any case", qr("persacc=42|PAYMPERIOD=09.2026|sum=5"), "42", None, "2026-09", 5, None),
    ("period MM.YYYY", qr("PersAcc=1|PaymPeriod=01.2027"), "1", None, "2027-01", None, None),
    ("period MMYY", qr("PersAcc=1|PaymPeriod=0326"), "1", None, "2026-03", None, None),
    ("period YYYY-MM", qr("PersAcc=1|PaymPeriod=2026-11"), "1", None, "2026-11", None, None),
    ("period 13th month: none", qr("PersAcc=1|PaymPeriod=132026"), "1", None, None, None, None),
    ("period in words: none", qr("PersAcc=1|PaymPeriod=октябрь"), "1", None, None, None, None),
    ("spaces around values", qr("PersAcc= 000777 |Sum= 250 "), "000777", None, None, 250, None),
    ("trailing separator", qr("PersAcc=9|") , "9", None, None, None, None),
    ("cp1251 header digit: read as written", qr("PersAcc=9", "ST00011"), "9", None, None, None, None),
    ("another separator: domain.qr reads it",
     "ST00012#" + PAYEE.replace("|", "#") + "#PersAcc=55#PaymPeriod=112026", "55", None, "2026-11", None, None),
    ("mandatory requisites missing", "ST00012|Name=РКЦ|PersAcc=1|Sum=100", None, None, None, None,
     "нет обязательных реквизитов: PersonalAcc, BankName, BIC, CorrespAcc"),
    ("cut short", 'ST00012|Name=ООО "РКЦ"|PersonalAcc=4070', None, None, None, None, "нет обязательных реквизитов"),
    ("Sum not kopecks", qr("PersAcc=1|Sum=1500.50"), None, None, None, None, "Sum не целое число копеек"),
    ("no header", "PersAcc=1|Sum=100", None, None, None, None, "нет заголовка ST0001"),
    ("a field without =", qr("PersAcc=1|junk"), None, None, None, None, "поле не вида Ключ=Значение"),
]


@pytest.mark.parametrize(("payload", "account", "uip", "period", "kopecks", "error"), [c[1:] for c in PAYLOADS],
                         ids=[c[0] for c in PAYLOADS])  # fmt: skip
def test_payload_gives_its_line(payload: str, account: str | None, uip: str | None, period: str | None,
                                kopecks: int | None, error: str | None) -> None:  # fmt: skip
    read = read_line_payloads([payload])
    assert read.present.tolist() == [True]
    assert (read.account[0].as_py(), read.uip[0].as_py(), read.period[0].as_py(), read.sum[0].as_py()) == (
        account, uip, period, kopecks)
    if error is None:
        assert read.error[0].as_py() is None and read.readable.tolist() == [True]
    else:
        assert error in read.error[0].as_py() and read.readable.tolist() == [False]


def test_lines_without_a_payload_are_left_alone() -> None:
    read = read_line_payloads([None, "", "  ", qr("PersAcc=1")])
    assert read.present.tolist() == [False, False, False, True]
    assert read.error.to_pylist() == [None, None, None, None]
    assert fill_from_payloads(["own", None, None, None], read.account).to_pylist() == ["own", None, None, "1"]


FINDINGS = [
    # (case, payload, amount, line's ЛС, line's УИП, code, detail contains)
    ("agrees", qr("PersAcc=000123|Sum=150000"), 150000, "123", None, None, None),
    ("no Sum: nothing to compare", qr("PersAcc=1"), 999, None, None, None, None),
    ("paid less than the receipt", qr("PersAcc=1|Sum=150000"), 100000, None, None, "QR_MISMATCH",
     "сумма в QR-коде 1\u00a0500,00 ≠ сумма платежа 1\u00a0000,00"),
    ("another ЛС on the line", qr("PersAcc=000124"), 1, "123", None, "QR_MISMATCH",
     "ЛС в QR-коде 000124 ≠ ЛС строки 123"),
    ("another УИП on the line", qr("UIN=26АА000101-01-1026"), 1, None, "26АА000101-01-0926", "QR_MISMATCH",
     "УИП в QR-коде 26АА000101-01-1026 ≠ УИП строки 26АА000101-01-0926"),
    ("УИП differing in case only agrees", qr("UIN=26аа000101-01-1026"), 1, None, "26АА000101-01-1026", None, None),
    ("sum and ЛС both", qr("PersAcc=9|Sum=10"), 20, "8", None, "QR_MISMATCH", "; ЛС в QR-коде 9"),
    ("unreadable", "ST00012|Name=X", 1, "1", None, "QR_UNREADABLE", "QR-код не прочитан: нет обязательных реквизитов"),
]


@pytest.mark.parametrize(("payload", "amount", "account", "uip", "code", "detail"), [c[1:] for c in FINDINGS],
                         ids=[c[0] for c in FINDINGS])  # fmt: skip
def test_payload_judged_against_its_line(payload: str, amount: int, account: str | None, uip: str | None,
                                         code: str | None, detail: str | None) -> None:  # fmt: skip
    found = payload_findings(read_line_payloads([payload]), amount=np.array([amount]), has_amount=np.array([True]),
                             account=[account], uip=[uip])  # fmt: skip
    assert found.code.tolist() == [code]
    assert (found.detail[0] is None) if detail is None else (detail in found.detail[0])
    assert rejection_notes(found, 1).tolist() == [found.detail[0] if code == "QR_UNREADABLE" else ""]


DIGITS = st.text("0123456789", min_size=1, max_size=12)


@settings(deadline=None)  # the first example compiles Arrow's regular expressions
@given(account=DIGITS, kopecks=st.integers(0, 10**12), month=st.integers(1, 12), year=st.integers(2000, 2099),
       separator=st.booleans())  # fmt: skip
def test_column_reading_agrees_with_domain_qr(account: str, kopecks: int, month: int, year: int,
                                              separator: bool) -> None:  # fmt: skip
    text = compose({"Name": "РКЦ", "PersonalAcc": "40702810938000000001", "BankName": "ПАО Сбербанк",
                    "BIC": "044525225", "CorrespAcc": "30101810400000000225", "PersAcc": account,
                    "PaymPeriod": f"{month:02d}{year}", "Sum": str(kopecks)})  # fmt: skip
    if separator:  # another separator goes the slow way, through domain.qr.parse
        text = text.replace("|", "~")
    one = parse(text)
    read = read_line_payloads([text])
    assert read.account[0].as_py() == one.pers_acc == account
    assert read.sum[0].as_py() == one.sum_kopecks == kopecks
    assert read.period[0].as_py() == f"{year}-{month:02d}"
