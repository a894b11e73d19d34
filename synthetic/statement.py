"""The center's bank statement (1CClientBankExchange, cp1251, ``Кодировка=Windows``).

One incoming п/п per register whose money arrived (payer: the channel's agent; amount: the
register's net total; purpose: "Перечисление средств по реестру № … от …"), one outgoing payment
to a supplier, and balances that tie: opening + incoming − outgoing = closing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from domain.money import format_amount
from rkc.config_channels import Channel

SBER_BIC = "044525225"
SBER_CORR = "30101810400000000225"


@dataclass(frozen=True)
class Transfer:
    """One document of the statement."""

    number: str
    day: date
    amount: int  # kopecks
    incoming: bool
    payer: tuple[str, str, str]  # name, INN, account
    recipient: tuple[str, str, str]
    purpose: str
    recipient_bic: str = SBER_BIC
    debited: date | None = None  # an outgoing document's ДатаСписано, when not its own date


@dataclass(frozen=True)
class BankDay:
    """The center's account as a month of days runs it (``synthetic.month``): the statement opens
    at ``opening`` and carries ``transfers`` besides the day's registers' п/п (yesterday's late
    п/п, the debits of the payment orders prepared the day before), without the one debit to a
    supplier a lone generated day has."""

    opening: int
    transfers: tuple[Transfer, ...] = ()


def agent_transfer(channel: Channel, center: tuple[str, str, str], number: str, day: date, amount: int,
                   register_no: str, register_date: date) -> Transfer:  # fmt: skip
    """The п/п by which ``channel``'s agent pays a register's net total into the center's account."""
    purpose = (f"Перечисление средств по реестру № {register_no} от {register_date:%d.%m.%Y} "
               f"за вычетом комиссии, принятых платежей за ЖКУ. НДС не облагается")  # fmt: skip
    payer = (channel.agent_name, channel.agent_inn, channel.agent_account)
    return Transfer(number, day, amount, True, payer, center, purpose)


def _document(t: Transfer, center_bic: str) -> list[str]:
    day = f"{t.day:%d.%m.%Y}"
    debited = f"{t.debited or t.day:%d.%m.%Y}"
    return [
        "СекцияДокумент=Платежное поручение", f"Номер={t.number}", f"Дата={day}", f"Сумма={format_amount(t.amount)}",
        f"ПлательщикСчет={t.payer[2]}", f"ДатаСписано={'' if t.incoming else debited}", f"ПлательщикИНН={t.payer[1]}",
        f"Плательщик1={t.payer[0]}", f"ПлательщикРасчСчет={t.payer[2]}", "ПлательщикБанк1=ПАО Сбербанк",
        "ПлательщикБанк2=г. Москва", f"ПлательщикБИК={SBER_BIC if t.incoming else center_bic}",
        f"ПлательщикКорсчет={SBER_CORR}", f"ПолучательСчет={t.recipient[2]}",
        f"ДатаПоступило={day if t.incoming else ''}", f"ПолучательИНН={t.recipient[1]}",
        f"Получатель1={t.recipient[0]}", f"ПолучательРасчСчет={t.recipient[2]}", "ПолучательБанк1=ПАО Сбербанк",
        "ПолучательБанк2=г. Москва", f"ПолучательБИК={center_bic if t.incoming else t.recipient_bic}",
        f"ПолучательКорсчет={SBER_CORR}", "ВидПлатежа=Электронно", "ВидОплаты=01", "Очередность=5",
        f"НазначениеПлатежа={t.purpose}", "КонецДокумента",
    ]  # fmt: skip


def write_statement(path: Path, *, account: str, bic: str, day: date, opening: int,
                    transfers: list[Transfer]) -> dict[str, object]:  # fmt: skip
    """Write the statement of ``account`` for ``day``; return its balances (kopecks) for the manifest."""
    incoming = sum(t.amount for t in transfers if t.incoming)
    outgoing = sum(t.amount for t in transfers if not t.incoming)
    closing = opening + incoming - outgoing
    d = f"{day:%d.%m.%Y}"
    lines = [
        "1CClientBankExchange", "ВерсияФормата=1.03", "Кодировка=Windows", "Отправитель=ПАО Сбербанк",
        "Получатель=", f"ДатаСоздания={d}", "ВремяСоздания=07:00:00", f"ДатаНачала={d}", f"ДатаКонца={d}",
        f"РасчСчет={account}", "СекцияРасчСчет", f"ДатаНачала={d}", f"ДатаКонца={d}", f"РасчСчет={account}",
        f"НачальныйОстаток={format_amount(opening)}", f"ВсегоПоступило={format_amount(incoming)}",
        f"ВсегоСписано={format_amount(outgoing)}", f"КонечныйОстаток={format_amount(closing)}", "КонецРасчСчет",
    ]  # fmt: skip
    for t in transfers:
        lines += _document(t, bic)
    lines.append("КонецФайла")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return {"file": path, "account": account, "date": day.isoformat(), "opening": opening, "incoming": incoming,
            "outgoing": outgoing, "closing": closing, "documents": len(transfers),
            "incoming_documents": sum(t.incoming for t in transfers)}  # fmt: skip
