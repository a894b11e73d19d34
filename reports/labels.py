"""Russian words for the identifiers that would otherwise reach the accountants' cells: channels
(by their agents' names from rkc.yaml), register formats and tie-out rules."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

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
        codes = frame["channel"].astype(object)
        frame = frame.assign(channel=codes.map({c: channel_word(c, names) for c in pd.unique(codes)}))
    return frame
