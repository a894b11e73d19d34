"""What a supplier receives with its statement: the letter's subject and text, and the Russian
names its files are attached under (the files on disk keep their machine names)."""

from __future__ import annotations

from dataclasses import dataclass

from reports.statements import MONTHS_RU


@dataclass(frozen=True)
class StatementLetter:
    """A statement letter's words and the attachment name of each file (by its name on disk)."""

    subject: str
    body: str
    attachment_names: dict[str, str]


def month_ru(period: str) -> str:
    """``2026-11`` → «ноябрь 2026 г.»."""
    year, month = period.split("-")
    return f"{MONTHS_RU[int(month)]} {year} г."


def attachment_name(file_name: str, period: str, inn: str) -> str:
    """The Russian name a statement file is sent under: «Выписка за ноябрь 2026 г. ИНН 7707083893.xlsx»,
    «Реестр проводок за ноябрь 2026 г. ИНН 7707083893.csv», «Акт сверки за ноябрь 2026 г. ИНН
    7707083893.xlsx»; any other file keeps its name."""
    if file_name.startswith("statement-") and file_name.endswith(".xlsx"):
        return f"Выписка за {month_ru(period)} ИНН {inn}.xlsx"
    if file_name.startswith("register-") and file_name.endswith(".csv"):
        return f"Реестр проводок за {month_ru(period)} ИНН {inn}.csv"
    if file_name.startswith("act-") and file_name.endswith(".xlsx"):
        return f"Акт сверки за {month_ru(period)} ИНН {inn}.xlsx"
    return file_name


def statement_letter(*, center: str, supplier: str, inn: str, period: str, files: list[str],
                     resend: bool = False) -> StatementLetter:  # fmt: skip
    """The letter that carries a supplier's statement for ``period``."""
    names = {f: attachment_name(f, period, inn) for f in files}
    what = {"statement-": "выписка по расчётам (Excel)",
            "register-": "реестр проводок для загрузки в учётную систему (CSV, кодировка Windows-1251, "
                         "разделитель «;», последняя строка — контрольный итог)",
            "act-": "акт сверки взаимных расчётов (Excel): просим сверить, подписать и вернуть "
                    "один экземпляр"}  # fmt: skip
    lines = [f"— «{names[f]}»: {next((v for k, v in what.items() if f.startswith(k)), 'файл')};" for f in files]
    if lines:
        lines[-1] = lines[-1][:-1] + "."
    again = "Повторная отправка: предыдущее письмо с этой выпиской можно не учитывать.\n\n" if resend else ""
    body = (
        "Здравствуйте!\n\n"
        f"{again}"
        f"{center} направляет выписку по расчётам с {supplier or 'поставщиком'} (ИНН {inn}) за {month_ru(period)}\n"
        "Во вложении:\n" + "\n".join(lines) + "\n\n"
        "Письмо отправлено автоматически; вопросы по выписке направляйте в РКЦ.\n\n"
        f"С уважением,\n{center}\n"
    )
    subject = f"Выписка по расчётам за {month_ru(period)} — {center}"
    return StatementLetter(subject, body, names)


def payout_letter(*, center: str, supplier: str, inn: str, period: str, files: list[str],
                  resend: bool = False) -> StatementLetter:  # fmt: skip
    """The letter that carries a supplier's notice of the payouts of the date ``period`` (ISO)."""
    day = f"{period[8:10]}.{period[5:7]}.{period[:4]}"
    names = {f: f"Уведомление о перечислении {day} ИНН {inn}.xlsx" for f in files}
    again = "Повторная отправка: предыдущее письмо с этим уведомлением можно не учитывать.\n\n" if resend else ""
    body = (
        "Здравствуйте!\n\n"
        f"{again}"
        f"{center} сообщает о перечислении денежных средств, принятых от населения за ЖКУ, в пользу "
        f"{supplier or 'поставщика'} (ИНН {inn}) платёжными поручениями от {day}.\n"
        "Во вложении: " + ", ".join(f"«{n}»" for n in names.values()) + " — номера, суммы и назначение "
        "платежей.\n\n"
        "Письмо отправлено автоматически; вопросы по перечислению направляйте в РКЦ.\n\n"
        f"С уважением,\n{center}\n"
    )
    return StatementLetter(f"Перечисление денежных средств от {day} — {center}", body, names)
