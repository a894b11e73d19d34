"""Identifiers read from payment purposes (domain/purpose.py): texts in the shapes payers write them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from domain.purpose import FIELDS, PurposePatternError, compile_patterns, read_purposes
from rkc.config import ConfigError, parse_config

NONE = "none"
# (purpose text, the identifiers it names; NONE: it names none)
CASES: list[tuple[str | None, dict[str, str] | str]] = [
    ("ЛС 1000123 за 10.2026", {"account": "1000123", "period": "2026-10"}),
    ("Оплата ЖКУ л/с №0001000123 за октябрь 2026г", {"account": "1000123", "period": "2026-10"}),
    ("л.с. 1000123 за 2026-10", {"account": "1000123", "period": "2026-10"}),
    ("Л/С: 1000123, ОКТЯБРЬ 2026", {"account": "1000123", "period": "2026-10"}),
    ("Квартплата лицевой счет 1000-123 сентябрь 2026", {"account": "1000123", "period": "2026-09"}),
    ("Оплата по лицевому счёту 1000123 за сентябрь 2026 г.", {"account": "1000123", "period": "2026-09"}),
    ("лиц.сч.1000123 период 09/26", {"account": "1000123", "period": "2026-09"}),
    ("ЛС№1000123 за май 2026", {"account": "1000123", "period": "2026-05"}),
    ("коммуналка лс 1000123 в мае 26", {"account": "1000123", "period": "2026-05"}),
    ("за март 2026 года ЛС 555", {"account": "555", "period": "2026-03"}),
    ("Оплата за ЖКУ ЛС 1000123", {"account": "1000123"}),
    ("ЕЛС 77АБ000042 за 10.2026", {"els": "77АБ000042", "period": "2026-10"}),
    ("единый лицевой счет 77ae000042 10/26", {"els": "77АЕ000042", "period": "2026-10"}),
    ("ИЖКУ 77АБ000042-01 за ноябрь 2026", {"izhku": "77АБ000042-01", "els": "77АБ000042", "period": "2026-11"}),
    ("ИЖКУ 77АБ000042–02", {"izhku": "77АБ000042-02", "els": "77АБ000042"}),
    ("ИПД 77АБ000042-01-1026", {"ipd": "77АБ000042-01-1026", "izhku": "77АБ000042-01", "els": "77АБ000042"}),
    ("УИП 1234567890123456789012345 оплата", {"uip": "1234567890123456789012345"}),
    ("УИН: 12345678901234567890 за октябрь 2026", {"uip": "12345678901234567890", "period": "2026-10"}),
    ("Оплата ЖКУ октябрь 2026", {"period": "2026-10"}),
    ("Оплата по договору 15 от 05.10.2026 НДС не облагается", NONE),
    ("Перевод собственных средств", NONE),
    ("Оплата за услуги 1500.00 руб", NONE),
    ("Оплата по счету 1000123 от 01.10.2026", NONE),  # "счёт" alone is an invoice, not a ЛС
    ("ЛС 1000123 за 13.2026", {"account": "1000123"}),  # no 13th month
    ("", NONE),
    (None, NONE),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_purpose_texts(text: str | None, expected: dict[str, str] | str) -> None:
    got = read_purposes([text]).iloc[0].to_dict()
    want = {f: None for f in FIELDS} | ({} if expected == NONE else expected)
    assert got == want


def test_all_texts_at_once_keep_their_rows() -> None:
    """One column-wise pass over every text gives each text's own answer, under the caller's index."""
    texts = pd.Series([c[0] for c in CASES], index=range(100, 100 + len(CASES)), dtype=object)
    got = read_purposes(texts)
    assert list(got.index) == list(texts.index)
    assert got.iloc[0]["account"] == "1000123" and got.iloc[11]["els"] == "77АБ000042"


def test_configured_patterns_replace_the_defaults(tmp_path: Path) -> None:
    patterns = compile_patterns([{"field": "account", "pattern": r"(?i)абонент\s*(?P<v>\d+)"}])
    got = read_purposes(["абонент 42 за 10.2026", "ЛС 1000123"], patterns)
    assert got["account"].tolist() == ["42", None]
    assert got["period"].tolist() == [None, None]  # no period pattern configured


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"field": "inn", "pattern": "(?P<v>\\d+)"}, "not one of"),
        ({"field": "account", "pattern": "(?P<v>\\d+"}, "does not compile"),
        ({"field": "account", "pattern": "\\d+"}, "must name the group"),
        ({"field": "period", "pattern": "(?P<month>\\d\\d)"}, "must name the group"),
    ],
)
def test_bad_patterns_are_refused(spec: dict[str, str], message: str) -> None:
    with pytest.raises(PurposePatternError, match=message):
        compile_patterns([spec])


def test_rkc_yaml_purpose_patterns(tmp_path: Path) -> None:
    base = {"channels": {"sber": {"format": "text"}}}
    assert len(parse_config(base, tmp_path).purpose_patterns) >= 6  # defaults
    own = parse_config(base | {"purpose_patterns": [{"field": "uip", "pattern": "(?P<v>\\d{25})"}]}, tmp_path)
    assert [p.field for p in own.purpose_patterns] == ["uip"]
    with pytest.raises(ConfigError, match="purpose_patterns"):
        parse_config(base | {"purpose_patterns": {"field": "uip"}}, tmp_path)
    with pytest.raises(ConfigError, match="not one of"):
        parse_config(base | {"purpose_patterns": [{"field": "x", "pattern": "(?P<v>1)"}]}, tmp_path)
