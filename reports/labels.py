"""Russian words for the identifiers that would otherwise reach the accountants' cells: channels
(by their agents' names from rkc.yaml), register formats and tie-out rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reports.xlsx_values import strings

FORMAT_KIND_RU = {"text": "текст", "xlsx": "Excel", "dbf": "DBF", "gis_xml": "XML ГИС ЖКХ",
                  "statement": "п/п плательщиков в выписке"}  # fmt: skip
# The dialects and profiles shipped in parsers/dialects/ (a format is "<kind>:<its name>").
DIALECT_RU = {
    "sber_classic": "Сбербанк, классический",
    "sber_multiservice": "Сбербанк, по услугам",
    "pipe_header": "с заголовком, через «|»",
    "portal": "портал оплаты",
    "xlsx_portal": "портал оплаты",
    "bank_units": "банковский, с разделами",
    "xlsx_bank_units": "банковский, с разделами",
    "gis_payments": "шаблон ГИС ЖКХ",
    "xlsx_gis_payments": "шаблон ГИС ЖКХ",
    "dbf_pochta": "Почта Банк",
    "pochta": "Почта Банк",
    "dbf_sber_branch": "отделение Сбербанка",
    "sber_branch": "отделение Сбербанка",
}
RULE_RU = {  # domain.tieout's passes, then the ties of payers' п/п and of ГИС ЖКХ money
    "number_date": "по номеру и дате п/п",
    "purpose_amount": "по назначению платежа и сумме",
    "purpose": "по назначению платежа (сумма другая)",
    "direct": "каждый платёж — свой п/п плательщика",  # rkc/tie.py: a statement's payers' п/п
    "with_bank": "в п/п банка вместе с его реестром",  # domain.tie_riders: ГИС ЖКХ money paid by a bank
    "bank_transfer": "отдельным п/п банка",
}


def format_ru(fmt: object) -> object:
    """«текст: Сбербанк, классический» for ``text:sber_classic`` (short: the summary prints one
    page wide); a format of the center's own dialect keeps the dialect's name."""
    if not isinstance(fmt, str) or not fmt:
        return fmt
    kind, _, dialect = fmt.partition(":")
    word = FORMAT_KIND_RU.get(kind, kind)
    return f"{word}: {DIALECT_RU.get(dialect, dialect)}" if dialect else word


def channel_word(channel: object, names: Mapping[str, str]) -> object:
    """A channel as its agent's name (``rkc.yaml`` channels.<name>.agent.name), else its code."""
    if not isinstance(channel, str):
        return channel
    return names.get(channel) or channel


def rule_ru(rule: object) -> object:
    """A tie-out rule in words (other text, such as a finding's description, as it is)."""
    return RULE_RU.get(rule, rule) if isinstance(rule, str) else rule


def russian_channels(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with its ``channel`` column (if any) in agents' names; one lookup per distinct code."""
    if "channel" in frame.columns and names and len(frame):
        if isinstance(frame["channel"].dtype, pd.StringDtype):  # Arrow text: no Python string a row
            return frame.assign(channel=relabelled(frame["channel"], lambda c: channel_word(c, names)))
        codes = frame["channel"].astype(object)
        frame = frame.assign(channel=codes.map({c: channel_word(c, names) for c in pd.unique(codes)}))
    return frame


def relabelled(values: pd.Series, label: Callable[[str], object]) -> pd.Series:
    """Text ``values`` each replaced by ``label(value)`` (text), called once a distinct value (Arrow's
    dictionary); missing stays missing (a dict mapped over every row made a Python string of each)."""
    encoded = pc.dictionary_encode(strings(values))
    words = pa.array([label(v) for v in encoded.dictionary.to_pylist()], type=pa.string())
    return pd.Series(words.take(encoded.indices), index=values.index, dtype="str")
