"""Russian text for the parsers' reasons. The parsers write their reasons in English (logs and
tests read them); the accountants read the report, so its descriptions are translated here, by
exact phrase or by pattern, piece by piece (reasons joined with «; »). A reason no rule knows is
shown as it is, marked «(англ.)», so a new one is noticed and added here rather than hidden."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

FIELDS_RU = {
    "amount": "сумма", "commission": "комиссия", "transfer": "сумма к перечислению", "paid_date": "дата платежа",
    "date": "дата", "time": "время", "paid_time": "время платежа", "period": "период", "account": "лицевой счёт",
    "account_raw": "лицевой счёт", "uip": "УИП", "operation_id": "номер операции", "service amount": "сумма по услуге",
    "service_code": "код услуги", "count": "число записей", "Итого amount": "сумма в строке «Итого»",
    "Итого commission": "комиссия в строке «Итого»", "transfer amount": "сумма к перечислению",
}  # fmt: skip
EXACT = {
    "date missing or unreadable": "дата платежа не указана или не читается",
    "time unreadable": "время платежа не читается",
    "amount missing or unreadable": "сумма не указана или не читается",
    "amount is zero": "сумма равна нулю",
    "commission unreadable": "комиссия не читается",
    "operation id missing": "нет номера операции",
    "service amounts do not add up to the amount": "суммы по услугам не равны сумме платежа",
    "transfer amount unreadable": "сумма к перечислению не читается",
    "service code missing": "не указан код услуги",
    "commission exceeds the amount": "комиссия больше суммы платежа",
    "commission or transfer exceeds the amount": "комиссия или сумма к перечислению больше суммы платежа",
    "control characters in the line": "в строке управляющие символы",
    "a second footer line": "вторая итоговая строка",
    "payment row above the header row": "строка платежа выше строки заголовка",
    "payment row after the Итого row": "строка платежа после строки «Итого»",
    "wrong number of fields": "неверное число полей",
    "totals record without an amount": "итоговая запись без суммы",
    "totals record: count unreadable": "итоговая запись: число записей не читается",
    "a payment line matching the comment or totals pattern of the dialect":
        "строка платежа похожа на комментарий или итоговую строку формата",
    "a payment line matching the comment, totals or file_values pattern of the dialect":
        "строка платежа похожа на комментарий, итоговую или служебную строку формата",
    "lines of one payment (group_by) disagree on the account, УИП, ЕЛС or date":
        "строки одного платежа расходятся в лицевом счёте, УИП, ЕЛС или дате",
    "empty file": "пустой файл",
    "binary data, not a text register": "двоичные данные, а не текстовый реестр",
    "not a register of any configured format": "файл не похож ни на один настроенный формат реестра",
    "no totals line (the file may be cut short)": "нет итоговой строки (файл, возможно, обрезан)",
    "no data lines": "нет строк с платежами",
    "empty file or no header row": "пустой файл или нет строки заголовка",
    "the workbook has no sheet": "в книге нет ни одного листа",
    "no Итого row: the register has no control totals (truncated?)":
        "нет строки «Итого»: у реестра нет контрольных итогов (файл обрезан?)",
}  # fmt: skip


def _field(name: str) -> str:
    return FIELDS_RU.get(name.strip(), name.strip())


PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"line (\d+): (.+)", re.S), lambda m: f"строка {m[1]}: {translate(m[2])}"),
    (re.compile(r"row (\d+): (.+)", re.S), lambda m: f"строка {m[1]}: {translate(m[2])}"),
    (re.compile(r"line (\d+) (has .+)", re.S), lambda m: f"строка {m[1]}: {translate(m[2])}"),
    (re.compile(r"expected (.+) fields, found (\d+)"), lambda m: f"полей в строке {m[2]}, ожидалось {m[1]}"),
    (re.compile(r"has (\d+) fields?, expected (.+)"), lambda m: f"полей в строке {m[1]}, ожидалось {m[2]}"),
    (re.compile(r"duplicate of line (\d+)"), lambda m: f"повтор строки {m[1]}"),
    (re.compile(r"a second totals record \(the first is record (\d+)\)"),
     lambda m: f"вторая итоговая запись (первая — запись {m[1]})"),
    (re.compile(r"unreadable footer: (.+)"), lambda m: f"итоговая строка не читается: {m[1]}"),
    (re.compile(r"totals record: (.+) unreadable"), lambda m: f"итоговая запись: {_field(m[1])} не читается"),
    (re.compile(r"(.+?) is not a( positive)? amount: (.+)"),
     lambda m: f"{_field(m[1])}: не{' положительная' if m[2] else ''} сумма: {m[3]}"),
    (re.compile(r"(.+?) is not a( positive)? whole number of kopecks: (.+)"),
     lambda m: f"{_field(m[1])}: не целое число копеек: {m[3]}"),
    (re.compile(r"(.+?) is zero"), lambda m: f"{_field(m[1])}: ноль"),
    (re.compile(r"(.+?) missing"), lambda m: f"{_field(m[1])}: не указано"),
    (re.compile(r"(.+?) unreadable: (.+)"), lambda m: f"{_field(m[1])} не читается: {m[2]}"),
    (re.compile(r"(.+?) unreadable"), lambda m: f"{_field(m[1])} не читается"),
    (re.compile(r"not well-formed XML: (.+)"), lambda m: f"XML с ошибками разметки: {m[1]}"),
    (re.compile(r"not a readable DBF table: (.+)"), lambda m: f"не читается как таблица DBF: {m[1]}"),
    (re.compile(r"not (\S+) text: (.+)"), lambda m: f"текст не в кодировке {m[1]}: {m[2]}"),
    (re.compile(r"no footer line starting with (.+?) \(the file may be cut short\)"),
     lambda m: f"нет итоговой строки, начинающейся с {m[1]} (файл, возможно, обрезан)"),
    (re.compile(r"header lacks columns (.+?); expected (.+)"),
     lambda m: f"в заголовке нет столбцов {m[1]}; ожидались {m[2]}"),
    (re.compile(r"not a (\S+) register \(the format configured for channel (\S+)\)(: .+)?", re.S),
     lambda m: f"не реестр формата {m[1]}, настроенного для канала {m[2]}" + (f": {translate(m[3][2:])}"
                                                                            if m[3] else "")),
]  # fmt: skip
_LATIN_WORD = re.compile(r"\b[a-z]{3,}\b")


def translate(reason: str) -> str:
    """``reason`` in Russian: each «; »-separated part by an exact phrase or a pattern; Russian text
    stays as it is; an unknown English part is kept and marked «(англ.)»."""
    parts = []
    for part in reason.split("; "):
        text = part.strip()
        if text in EXACT:
            parts.append(EXACT[text])
            continue
        for pattern, render in PATTERNS:
            found = pattern.fullmatch(text)
            if found:
                parts.append(render(found))
                break
        else:
            parts.append(f"{text} (англ.)" if _LATIN_WORD.search(text) and not _has_cyrillic_words(text) else text)
    return "; ".join(parts)


def _has_cyrillic_words(text: str) -> bool:
    return len(re.findall(r"[а-яё]{3,}", text, flags=re.I)) >= 2


def translate_column(values: pd.Series) -> pd.Series:
    """``translate`` over a column, once per distinct text (a night repeats a few reasons many times)."""
    codes = values.astype(object)
    distinct = [v for v in pd.unique(codes) if isinstance(v, str)]
    return codes.map({v: translate(v) for v in distinct}) if distinct else codes
