"""The night report's secondary sheets, each shown only when it has rows: the cash bridge «Остаток
банка», the agents' money «Деньги агентов», «Файлы во входящих» (what the run left in the inboxes
or quarantined unread), «Показания приборов учёта» and «ГИС ЖКХ — отклонено» (docs/REPORTS.md).
Their titles, columns and Russian words live here; ``reports.run_report`` lays them out."""

from __future__ import annotations

import pandas as pd

from reports.xlsx import Col

PAYMENT_ID_HEADER = "ID платежа"
INBOX_TITLE = "Файлы во входящих"
METERS_TITLE = "Показания приборов учёта"
GIS_REJECTED_TITLE = "ГИС ЖКХ — отклонено"
CASH_TITLE = "Остаток банка"
AGENT_MONEY_TITLE = "Деньги агентов"
GIS_KIND_RU = {"notification": "извещение о платеже", "ack": "квитирование", "ack_cancel": "отмена квитирования"}

INBOX_STATE_RU = {  # rkc.inbox.InboxState values
    "in_transit": "загружается",
    "stuck": "загрузка зависла",
    "waiting_for_totals": "ждёт файл итогов",
    "waiting_for_register": "ждёт реестр",
    "quarantined": "в карантине",
    "not_moved": "не удалось убрать",
}
ACCOUNT_MEANING_RU = {  # docs/LEDGER.md: a positive agent balance is owed by the agent
    "agent": "агент должен РКЦ (реестр проведён, п/п нет)",
    "agent_unallocated": "п/п получен, реестр не проведён",
}
AGENT_MONEY_COLUMNS = [
    ("account", Col("Счёт")),
    ("meaning", Col("Что это")),
    ("channel", Col("Канал")),
    ("balance", Col("Сальдо", "money")),
    ("explained", Col("Объяснено", "money")),
    ("unexplained", Col("Не объяснено", "money")),
    ("since", Col("Самое старое с", "date")),
    ("age_days", Col("Дней", "int")),
    ("registers", Col("Реестры без п/п")),
    ("transfers", Col("П/п")),
]
CASH_COLUMNS = [("item", Col("Статья")), ("documents", Col("Документов", "int")), ("amount", Col("Сумма", "money"))]
INBOX_COLUMNS = [
    ("channel", Col("Канал")),
    ("file", Col("Файл")),
    ("state", Col("Состояние")),
    ("age_minutes", Col("Возраст, мин.", "int")),
    ("detail", Col("Описание")),
    ("stored_path", Col("Куда перемещён")),
]
METER_COLUMNS = [
    ("register_id", Col("Реестр", "int")),
    ("file", Col("Файл")),
    ("channel", Col("Канал")),
    ("line_no", Col("Строка", "int")),
    ("payment_id", Col(PAYMENT_ID_HEADER, "int")),
    ("account", Col("ЛС")),
    ("meter", Col("Прибор учёта")),
    ("value", Col("Показание")),
]
GIS_REJECTED_COLUMNS = [
    ("export_date", Col("Дата выгрузки", "date")),
    ("kind", Col("Что выгружено")),
    ("payment_id", Col(PAYMENT_ID_HEADER, "int")),
    ("channel", Col("Канал")),
    ("operation_id", Col("Номер операции")),
    ("uip", Col("УИП")),
    ("amount", Col("Сумма платежа", "money")),
    ("file", Col("Файл")),
    ("transport_guid", Col("TransportGUID")),
    ("error", Col("Ошибка ГИС ЖКХ")),
]


def extra_sheets(
    cash_bridge: list[tuple[str, int | None, int]] | None, agent_money: pd.DataFrame | None,
    inbox: pd.DataFrame | None, meters: pd.DataFrame | None, gis_rejected: pd.DataFrame | None,
) -> list[tuple[str, pd.DataFrame, list[tuple[str, Col]]]]:
    """(title, frame, columns) of the cash bridge, agents' money, inbox, meter-reading and ГИС ЖКХ
    sheets that have rows."""
    out = []
    if cash_bridge:
        cash = pd.DataFrame(cash_bridge, columns=["item", "documents", "amount"])
        out.append((CASH_TITLE, cash.astype({"documents": "Int64", "amount": "Int64"}), CASH_COLUMNS))
    if agent_money is not None and len(agent_money):
        money = select_columns(agent_money, AGENT_MONEY_COLUMNS)
        money["meaning"] = [ACCOUNT_MEANING_RU[a.split(":", 1)[0]] for a in agent_money["account"]]
        out.append((AGENT_MONEY_TITLE, money, AGENT_MONEY_COLUMNS))
    if inbox is not None and len(inbox):
        inbox = select_columns(inbox, INBOX_COLUMNS)
        inbox["state"] = inbox["state"].map(lambda s: INBOX_STATE_RU.get(s, s))
        out.append((INBOX_TITLE, inbox, INBOX_COLUMNS))
    if meters is not None and len(meters):
        out.append((METERS_TITLE, select_columns(meters, METER_COLUMNS), METER_COLUMNS))
    if gis_rejected is not None and len(gis_rejected):
        rejected = select_columns(gis_rejected, GIS_REJECTED_COLUMNS)
        rejected["kind"] = rejected["kind"].map(lambda k: GIS_KIND_RU.get(k, k))
        out.append((GIS_REJECTED_TITLE, rejected, GIS_REJECTED_COLUMNS))
    return out


def select_columns(frame: pd.DataFrame, columns: list[tuple[str, Col]]) -> pd.DataFrame:
    """The report's columns in order; a column the caller did not supply is empty."""
    names = [name for name, _ in columns]
    return frame.reindex(columns=names).reset_index(drop=True)
