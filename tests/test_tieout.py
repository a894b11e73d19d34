"""Tying registers to their п/п: by number and date, by payer + purpose (+ amount); missing sides."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from domain.records import BankStatement, BankTransfer
from domain.tieout import (
    agent_candidates,
    agent_channels,
    is_foreign,
    parse_purpose,
    statement_flags,
    tie_registers,
)

SBER_INN, SBER_ACC = "7707083893", "30101810400000000225"
D = date(2026, 3, 16)


def reg(**kw) -> dict:
    base = {
        "register_id": 1,
        "channel": "sber",
        "payer_inn": SBER_INN,
        "payer_account": None,
        "order_number": "517",
        "order_date": D,
        "net_amount": 148500,
        "register_date": date(2026, 3, 15),
        "register_number": None,
    }
    return {**base, **kw}


def tr(**kw) -> BankTransfer:
    base = {
        "number": "517",
        "date": D,
        "amount": 148500,
        "incoming": True,
        "payer_name": "ПАО Сбербанк",
        "payer_inn": SBER_INN,
        "payer_account": SBER_ACC,
        "purpose": "",
        "line_no": 10,
    }
    return BankTransfer(**{**base, **kw})


# (case, registers, transfers, expected [(status, rule, difference)], extra flag codes)
CASES = [
    ("number and date", [reg()], [tr()], [("tied", "number_date", 0)], []),
    (
        "leading zeros in number",
        [reg(order_number="0517")],
        [tr(number="517")],
        [("tied", "number_date", 0)],
        [],
    ),
    (
        "amount differs",
        [reg()],
        [tr(amount=148000)],
        [("TRANSFER_MISMATCH", "number_date", -500)],
        ["TRANSFER_MISMATCH"],
    ),
    (
        "wrong date",
        [reg()],
        [tr(date=date(2026, 3, 17))],
        [("TRANSFER_MISSING", None, None)],
        ["TRANSFER_MISSING", "REGISTER_MISSING"],
    ),
    (
        "other payer with the same number",
        [reg()],
        [tr(payer_inn="500100732259")],
        [("TRANSFER_MISSING", None, None)],
        ["TRANSFER_MISSING"],
    ),
    (
        "by purpose and amount",
        [reg(order_number=None)],
        [tr(number="9", purpose="Перечисление средств по реестру № 44 от 15.03.2026, без НДС")],
        [("tied", "purpose_amount", 0)],
        [],
    ),
    (
        "purpose with two-digit year",
        [reg(order_number=None)],
        [tr(number="9", purpose="по реестру N44 от 15-03-26")],
        [("tied", "purpose_amount", 0)],
        [],
    ),
    (
        "purpose, other amount",
        [reg(order_number=None)],
        [tr(number="9", amount=100, purpose="по реестру № 44 от 15.03.2026")],
        [("TRANSFER_MISMATCH", "purpose", -148400)],
        ["TRANSFER_MISMATCH"],
    ),
    (
        "purpose names another register number",
        [reg(order_number=None, register_number="45")],
        [tr(number="9", purpose="по реестру № 44 от 15.03.2026")],
        [("TRANSFER_MISSING", None, None)],
        ["TRANSFER_MISSING", "REGISTER_MISSING"],
    ),
    ("no transfer", [reg()], [], [("TRANSFER_MISSING", None, None)], ["TRANSFER_MISSING"]),
    (
        "transfer used once",
        [reg(register_id=1), reg(register_id=2)],
        [tr()],
        [("TRANSFER_MISSING", None, None), ("TRANSFER_MISSING", None, None)],
        ["TRANSFER_MISSING", "TRANSFER_MISSING", "REGISTER_MISSING"],
    ),
    (
        "two registers two transfers",
        [reg(register_id=1), reg(register_id=2, order_number="518", net_amount=5)],
        [tr(number="518", amount=5, line_no=20), tr()],
        [("tied", "number_date", 0), ("tied", "number_date", 0)],
        [],
    ),
    (
        "outgoing ignored",
        [reg()],
        [tr(incoming=False)],
        [("TRANSFER_MISSING", None, None)],
        ["TRANSFER_MISSING"],
    ),
]


@pytest.mark.parametrize(("case", "regs", "trs", "expected", "codes"), CASES, ids=[c[0] for c in CASES])
def test_tie(case: str, regs: list, trs: list, expected: list, codes: list[str]) -> None:
    result = tie_registers(pd.DataFrame(regs), trs)
    r = result.registers.astype(object)
    got = list(
        zip(
            r["status"],
            r["rule"].where(r["rule"].notna(), None),
            r["difference"].where(r["difference"].notna(), None),
            strict=True,
        )
    )
    assert got == expected
    assert sorted(result.flags["code"]) == sorted(codes)


def test_register_missing_for_known_agent_only() -> None:
    stranger = tr(number="1", payer_inn="500100732259", payer_account="40702810000000000001")
    agents = pd.DataFrame({"payer_inn": ["1234567890"], "payer_account": [None]})
    known = tr(number="2", payer_inn="1234567890", payer_account="1", line_no=33, amount=777)
    result = tie_registers(pd.DataFrame([reg()]), [tr(), stranger, known], agents=agents)
    flags = result.flags[result.flags["code"] == "REGISTER_MISSING"]
    assert flags["transfer_line_no"].tolist() == [33]
    assert "на 7,77 от" in flags["detail"].iloc[0]


def test_parse_purpose() -> None:
    p = parse_purpose(pd.Series(["Оплата по реестру № 0012 от 01.02.2026", "без реестра", None]))
    assert p["ref_number"].tolist()[0] == "12"
    assert p["ref_date"].tolist()[0] == date(2026, 2, 1)
    assert pd.isna(p["ref_date"][1]) and pd.isna(p["ref_date"][2])


AGENTS = [
    ("sber", SBER_INN, SBER_ACC),
    ("sber_south", SBER_INN, "30101810000000000999"),
    ("portal", "7830002293", ""),
    ("twin_a", "2634107526", ""),
    ("twin_b", "2634107526", ""),
]


@pytest.mark.parametrize(
    ("inn", "account", "expected"),
    [
        (SBER_INN, SBER_ACC, "sber"),  # the account decides between two channels of one bank
        (SBER_INN, "30101810000000000999", "sber_south"),
        (SBER_INN, "40702810999999999999", None),  # Sber from an account no channel names: ambiguous
        ("7830002293", "40702810999999999999", "portal"),  # one channel has the INN: any account
        ("2634107526", None, None),  # two channels share the INN and neither names an account
        (None, SBER_ACC, "sber"),
        ("0000000000", "00000000000000000000", None),  # not an agent
    ],
)
def test_agent_channels(inn: str | None, account: str | None, expected: str | None) -> None:
    assert agent_channels(AGENTS)(inn, account) == expected


@pytest.mark.parametrize(
    ("inn", "account", "expected"),
    [
        (SBER_INN, SBER_ACC, {"sber"}),
        (SBER_INN, "40702810999999999999", {"sber", "sber_south"}),
        ("2634107526", None, {"twin_a", "twin_b"}),
        ("0000000000", None, set()),
    ],
)
def test_agent_candidates(inn: str, account: str | None, expected: set[str]) -> None:
    assert agent_candidates(AGENTS)(inn, account) == expected


@pytest.mark.parametrize(
    ("case", "register", "senders", "status"),
    [
        # sber_south names Sber's INN and no account; the п/п came from `sber`'s account
        ("credited to another channel", reg(channel="sber_south", payer_account=None), {10: {"sber"}},
         "TRANSFER_MISSING"),
        ("its own channel", reg(channel="sber_south", payer_account=None), {10: {"sber", "sber_south"}}, "tied"),
        # a channel with no agent configured: a stranger's п/п with the same number must not pay it
        ("stranger's п/п", reg(channel="kassa", payer_inn=None, payer_account=None), {10: frozenset()},
         "TRANSFER_MISSING"),
        ("no senders given: INN and account decide", reg(channel="sber_south", payer_account=None), None, "tied"),
    ],
)  # fmt: skip
def test_a_register_is_tied_only_to_a_transfer_its_channel_may_have_sent(
    case: str, register: dict, senders: dict | None, status: str
) -> None:
    result = tie_registers(pd.DataFrame([register]), [tr()], senders=senders)
    assert result.registers["status"].tolist() == [status]


CENTER, OTHER = "40702810900000000001", "40702810000000000002"


def stmt(account: str = CENTER, others: tuple[str, ...] = (), ignored: int = 0) -> BankStatement:
    """A statement with one incoming (1485.00) and one outgoing transfer."""
    return BankStatement(file="s.txt", account=account, date_from=D, date_to=D, opening=0, incoming=148500,
                         outgoing=100, closing=148400, transfers=(tr(), tr(incoming=False, amount=100)),
                         other_accounts=others, ignored_documents=ignored)  # fmt: skip


# (case, statement, center account, foreign, [(detail fragment, amount)])
STATEMENT_CASES = [
    ("the center's", stmt(), CENTER, False, []),
    ("the center's account not configured", stmt(OTHER), "", False, []),
    ("another account's", stmt(OTHER), CENTER, True,
     [(f"выписка по счёту {OTHER}, а не по счёту РКЦ {CENTER}: 1 поступлений на 1\u00a0485,00", 148500)]),
    ("the center's with another account's section", stmt(others=(OTHER,), ignored=3), CENTER, False,
     [(f"разделы по счетам {OTHER}: не прочитаны; документов не по счёту {CENTER}: 3", None)]),
    ("another account's with the center's missing and a third", stmt(OTHER, others=("1", "2")), CENTER, True,
     [("выписка по счёту", 148500), ("разделы по счетам 1, 2", None)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "statement", "center", "foreign", "expected"), STATEMENT_CASES, ids=[c[0] for c in STATEMENT_CASES]
)
def test_statement_flags(case: str, statement: BankStatement, center: str, foreign: bool, expected: list) -> None:
    assert is_foreign(statement, center) is foreign
    found = statement_flags(statement, center)
    assert len(found) == len(expected), case
    for (detail, amount), (fragment, want) in zip(found, expected, strict=True):
        assert fragment in detail
        assert amount == want


QUARANTINED = [  # sql.registers.quarantined_registers rows
    {"register_id": 7, "file": "reestr_03.txt", "payment_order_number": "004106",
     "payment_order_date": date(2026, 11, 20),
     "net_amount": 1_313_334, "reason": "сумма строк не равна итоговой"},
    {"register_id": 8, "file": "other.txt", "payment_order_number": "77", "payment_order_date": date(2026, 11, 20),
     "net_amount": 5_000, "reason": ""},
]  # fmt: skip
NOTES = [  # (number, date, amount, expected words or None)
    ("4106", date(2026, 11, 20), 1_313_334, "reestr_03.txt, помещённый в карантин: сумма строк не равна итоговой "
                                             "(совпадает по номеру, дате, сумме)"),
    ("4106", date(2026, 11, 19), 1, "reestr_03.txt, помещённый в карантин: сумма строк не равна итоговой "
                                    "(совпадает по номеру)"),
    ("999", date(2026, 11, 1), 1_313_334, "(совпадает по сумме)"),
    ("999", date(2026, 11, 20), 5_000, "other.txt, помещённый в карантин (совпадает по дате, сумме)"),
    ("999", date(2026, 11, 20), 1, None),  # the date alone says nothing: every register of the night has it
    ("", None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(("number", "day", "amount", "words"), NOTES)
def test_an_unclaimed_transfer_names_the_quarantined_register_it_matches(number, day, amount, words) -> None:
    from domain.tieout import quarantine_note

    note = quarantine_note(number, day, amount, QUARANTINED)
    assert (note is None) if words is None else (words in note), note
