"""Payment methods (domain/methods.py): a channel's raw values read as methods, table-driven; the
unknown ones counted; the sums by method adding up to what was collected, whatever the values."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.methods import (
    LABELS_RU,
    NOT_STATED_RU,
    MethodMap,
    PaymentMethod,
    UnknownMethod,
    by_method,
    fold,
    label_ru,
    merge_unknown,
    resolve_methods,
    unknown_details,
)

M = PaymentMethod
# The Sber cashier column as the default configuration reads it (rkc/default_config.yaml).
SBER = MethodMap(M.CASHIER, {"SBOL": M.BANK_APP, "СБОЛ": M.BANK_APP},
                 ((r"^\d+V$", M.CASHIER), (r"^\d{8}$", M.TERMINAL)))  # fmt: skip
# «Город»'s method_pay: values (docs/CORPUS.md, samples 5 and 16).
GOROD = MethodMap(M.BANK_APP, {"касса": M.CASHIER, "Сбербанк Онлайн": M.BANK_APP,
                               "устройство самообслуживания": M.TERMINAL, "Автоплатёж": M.AUTOPAY})  # fmt: skip
PORTAL = MethodMap(M.REGIONAL_PORTAL, {"Региональный портал": M.REGIONAL_PORTAL, "Госуслуги": M.GOSUSLUGI,
                                       "QR-код": M.QR})  # fmt: skip

CASES = [
    # (case, map, raw value, line carries a QR payload, method, unknown)
    ("teller id by pattern", SBER, "5230099V", False, M.CASHIER, False),
    ("device id by pattern", SBER, "60234118", False, M.TERMINAL, False),
    ("online bank, exact", SBER, "SBOL", False, M.BANK_APP, False),
    ("online bank, other case", SBER, "sbol", False, M.BANK_APP, False),
    ("online bank, Cyrillic", SBER, "СБОЛ", False, M.BANK_APP, False),
    ("device id one digit short", SBER, "6023411", False, M.CASHIER, True),
    ("unknown word takes the default", SBER, "KIOSK", False, M.CASHIER, True),
    ("empty column: the default, not unknown", SBER, "", False, M.CASHIER, False),
    ("absent column: the default", SBER, None, False, M.CASHIER, False),
    ("spaces only: absent", SBER, "   ", False, M.CASHIER, False),
    ("cash desk, lower case", GOROD, "касса", False, M.CASHIER, False),
    ("cash desk, capitals", GOROD, "КАССА", False, M.CASHIER, False),
    ("online bank, runs of spaces", GOROD, "  Сбербанк   онлайн ", False, M.BANK_APP, False),
    ("self-service device", GOROD, "Устройство самообслуживания", False, M.TERMINAL, False),
    ("ё and е alike", GOROD, "Автоплатеж", False, M.AUTOPAY, False),
    ("QR payload, no method: qr", GOROD, None, True, M.QR, False),
    ("QR payload, method given: the register wins", GOROD, "касса", True, M.CASHIER, False),
    ("QR payload, unknown method: qr, counted", GOROD, "почта", True, M.QR, True),
    ("portal: Госуслуги", PORTAL, "ГОСУСЛУГИ", False, M.GOSUSLUGI, False),
    ("portal: QR written", PORTAL, "QR-код", False, M.QR, False),
    ("portal: nothing written", PORTAL, None, False, M.REGIONAL_PORTAL, False),
    ("no values at all: the default", MethodMap(M.GIS), "что угодно", False, M.GIS, True),
]


@pytest.mark.parametrize(("spec", "raw", "qr", "method", "unknown"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_raw_value_reads_as_method(spec: MethodMap, raw: str | None, qr: bool, method: M, unknown: bool) -> None:
    found = resolve_methods([raw], spec, has_qr=np.array([qr]), amounts=[12345])
    assert list(found.methods) == [method.value]
    if unknown:
        assert [(u.raw, u.count, u.amount, u.taken_as) for u in found.unknown] == [(raw.strip(), 1, 12345, method)]
    else:
        assert found.unknown == ()


def test_unknown_values_grouped_by_their_folded_form_most_frequent_first() -> None:
    raw = ["KIOSK", "kiosk", "ATM-7", None, "SBOL", "Kiosk", "ATM-7", "X"]
    found = resolve_methods(raw, SBER, amounts=[100, 200, 300, 400, 500, 600, 700, 800])
    assert [(u.raw, u.count, u.amount) for u in found.unknown] == [("KIOSK", 3, 900), ("ATM-7", 2, 1000),
                                                                    ("X", 1, 800)]  # fmt: skip
    assert list(found.methods) == ["cashier"] * 4 + ["bank_app"] + ["cashier"] * 3


def test_chunks_merge_their_unknown_values() -> None:
    a = resolve_methods(["KIOSK", "Kiosk"], SBER, amounts=[1, 2]).unknown
    b = resolve_methods(["kiosk", "ATM"], SBER, amounts=[4, 8]).unknown
    assert merge_unknown([*a, *b]) == (UnknownMethod("KIOSK", 3, 7, M.CASHIER), UnknownMethod("ATM", 1, 8, M.CASHIER))


def test_unknown_details_list_the_first_values_and_sum_the_rest() -> None:
    unknown = [UnknownMethod(f"V{i}", 25 - i, 100 * (i + 1), M.BANK_APP) for i in range(25)]
    details = unknown_details(unknown, limit=20)
    assert len(details) == 21
    assert details[0] == ("способ оплаты «V0» не известен каналу: платежей 25, учтены как «Приложение/кабинет банка»",
                          100)  # fmt: skip
    assert details[-1][0].startswith("ещё 5 неизвестных значений способа оплаты: платежей 15")
    assert sum(a for _, a in details) == sum(u.amount for u in unknown)


def test_every_method_has_a_russian_label() -> None:
    assert set(LABELS_RU) == set(PaymentMethod)
    assert label_ru("qr") == "QR-код" and label_ru(None) == NOT_STATED_RU and label_ru("later") == "later"
    assert fold("  Сбербанк   ОНЛАЙН ") == "сбербанк онлайн"


def test_a_wrong_pattern_is_refused_where_the_map_is_made() -> None:
    with pytest.raises(re.error, match=r"unterminated|missing"):
        MethodMap(M.CASHIER, patterns=(("(", M.TERMINAL),))


def test_by_method_orders_methods_and_puts_the_not_stated_last() -> None:
    frame = by_method(["qr", None, "cashier", "qr", "gis"], [100, 200, 300, 400, 500])
    assert frame.to_dict("records") == [
        {"method": "cashier", "payments": 1, "amount": 300},
        {"method": "gis", "payments": 1, "amount": 500},
        {"method": "qr", "payments": 2, "amount": 500},
        {"method": None, "payments": 1, "amount": 200},
    ]



def test_by_method_reads_arrow_text_as_it_reads_a_list() -> None:
    """The statements hand over the movements' Arrow-backed column, missing methods as NA."""
    values = ["zz", "qr", None, "aa", "qr", None, "zz", "cashier"]
    amounts = [10**15, 7, 3, -5, 11, 13, 17, 19]
    arrow = by_method(pd.Series(values, dtype="string[pyarrow]"), amounts)
    assert arrow.to_dict("records") == by_method(values, amounts).to_dict("records")
    assert arrow.to_dict("records") == [
        {"method": "cashier", "payments": 1, "amount": 19},
        {"method": "qr", "payments": 2, "amount": 18},
        {"method": "zz", "payments": 2, "amount": 10**15 + 17},  # unknown codes: first seen first
        {"method": "aa", "payments": 1, "amount": -5},
        {"method": None, "payments": 2, "amount": 16},
    ]
    assert arrow["amount"].dtype == np.int64

RAW = st.sampled_from(["SBOL", "sbol", "5230099V", "60234118", "KIOSK", "", None, "СБОЛ", "123"])


@settings(deadline=None)  # the first example compiles Arrow's regular expressions
@given(st.lists(st.tuples(RAW, st.booleans(), st.integers(1, 10**9)), max_size=60))
def test_sums_over_methods_equal_the_collected_amount(rows: list[tuple[str | None, bool, int]]) -> None:
    raw = [r for r, _, _ in rows]
    qr = np.array([q for _, q, _ in rows], dtype=bool)
    amounts = np.array([a for _, _, a in rows], dtype=np.int64)
    found = resolve_methods(raw, SBER, has_qr=qr, amounts=amounts)
    assert all(PaymentMethod(m) for m in found.methods)  # every payment gets a known method
    frame = by_method(found.methods, amounts)
    assert int(frame["amount"].sum()) == int(amounts.sum())
    assert int(frame["payments"].sum()) == len(rows)
    present = [r for r in raw if r is not None and r.strip()]
    known = pd.Series(present, dtype=object).str.fullmatch(r"(?i)sbol|сбол|\d+V|\d{8}")
    assert sum(u.count for u in found.unknown) == int((~known).sum()) if present else found.unknown == ()
