"""The discrepancy report of a nightly run, for the accountants: one XLSX and the same as HTML.

Sheets: «Сводка» (the bridge per register and in total), «Способы оплаты» (the night's payments by
method, ``reports.methods``), «Сверка с выпиской» (each register tied
to its п/п in the bank statement), then one sheet per discrepancy code present, with every
affected payment and its provenance (file, line, raw text). Suspense sheets (UNKNOWN_ACCOUNT,
AMBIGUOUS_MATCH) also carry the near-miss proposals («Возможно») and the two columns the
accountant fills to resolve a payment («Верный ЛС или УИП», «Кто решил»), read back by
``reports.resolutions.read_resolutions``; so does DATE_OUT_OF_RANGE, whose payments wait in
suspense until accepted that way. «Файлы во входящих» lists what the run left in the inboxes or
quarantined unread (uploads in progress, registers waiting for their totals file, links),
«Показания приборов учёта» the meter readings that came with the night's payments, and «ГИС ЖКХ:
отклонено» what ГИС ЖКХ refused of the center's exports (docs/GIS.md); these and the cash bridge
and agents' money sheets are ``reports.night_sheets``. Cell conventions: ``reports.xlsx``.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from domain.codes import TITLES_RU, Code
from domain.nearmiss import PROPOSAL_COLUMNS
from domain.statuses import RegisterStatus, TieStatus
from reports.labels import format_ru, rule_ru, russian_channels
from reports.methods import METHOD_COLUMNS, METHODS_TITLE, method_table
from reports.night_sheets import PAYMENT_ID_HEADER, extra_sheets, select_columns
from reports.reasons_ru import translate_column
from reports.render import html_table, money_ru, render_html, text_column
from reports.xlsx import Col, SheetSpec, sheet_title, write_workbook

SUMMARY_TITLE = "Сводка"
INDEX_TITLE = "Расхождения"
TIEOUT_TITLE = "Сверка с выпиской"
TARGET_HEADER = "Верный ЛС или УИП"
RESOLVER_HEADER = "Кто решил"
# Optional: to split a payment across ПД, one row per ПД (the row copied) with the part's amount each.
PART_AMOUNT_HEADER = "Сумма на этот ПД"
PROPOSALS_HEADER = "Возможно"
SUSPENSE_CODES = (Code.UNKNOWN_ACCOUNT, Code.AMBIGUOUS_MATCH, Code.DATE_OUT_OF_RANGE)

STATUS_RU = {
    RegisterStatus.RECEIVED: "принят",
    RegisterStatus.POSTED: "проведён",
    RegisterStatus.QUARANTINED: "карантин",
    RegisterStatus.BAD_FILE: "нечитаемый файл",
    RegisterStatus.DUPLICATE: "повторный файл",
}
REASON_RU = {"digit": "одна цифра", "transposition": "перестановка цифр", "address": "тот же адрес"}

REGISTER_COLUMNS = [
    ("register_id", Col("Реестр", "int")),
    ("file", Col("Файл")),
    ("channel", Col("Канал")),
    ("format", Col("Формат")),
    ("status", Col("Статус")),
    ("records", Col("Записей в файле", "int")),
    ("payments", Col("Платежей", "int")),
    ("non_payment_lines", Col("Прочих строк", "int")),
    ("rejected_lines", Col("Отклонено строк", "int")),
    ("amount_total", Col("Поступило", "money")),
    ("posted", Col("Проведено", "money")),
    ("suspense", Col("Невыясненные", "money")),
    ("rejected", Col("Отклонено", "money")),
    ("duplicate", Col("Дубликаты", "money")),
    ("quarantined", Col("Карантин", "money")),
    ("residual", Col("Остаток", "money")),
]
COUNT_COLUMNS = ("records", "payments", "non_payment_lines", "rejected_lines")  # summed on the «Итого» row
TIEOUT_COLUMNS = [
    ("register_id", Col("Реестр", "int")),
    ("file", Col("Файл")),
    ("channel", Col("Канал")),
    ("payment_order_number", Col("№ п/п по реестру")),
    ("payment_order_date", Col("Дата п/п по реестру", "date")),
    ("net_amount", Col("К перечислению по реестру", "money")),
    ("transfer_number", Col("№ п/п в выписке")),
    ("transfer_date", Col("Дата п/п в выписке", "date")),
    ("transfer_amount", Col("Сумма п/п", "money")),
    ("payer_name", Col("Плательщик п/п")),
    ("status", Col("Результат")),
    ("rule", Col("Правило")),
    ("difference", Col("Разница", "money")),
]
DISCREPANCY_COLUMNS = [
    ("payment_id", Col(PAYMENT_ID_HEADER, "int")),
    ("register_id", Col("Реестр", "int")),
    ("channel", Col("Канал")),
    ("file", Col("Файл")),
    ("line_no", Col("Строка", "int")),
    ("operation_id", Col("Номер операции")),
    ("paid_date", Col("Дата платежа", "date")),
    ("account_raw", Col("ЛС в реестре")),
    ("uip", Col("УИП")),
    ("payer", Col("Плательщик")),
    ("address", Col("Адрес")),
    ("amount", Col("Сумма", "money")),
    ("detail", Col("Описание")),
    ("raw", Col("Исходная строка")),
]
INDEX_COLUMNS = [("title", Col("Расхождение")), ("rows", Col("Строк", "int")), ("amount", Col("Сумма", "money"))]
RESOLUTION_COLUMNS = [
    ("proposals", Col(PROPOSALS_HEADER)),
    ("target", Col(TARGET_HEADER, "input")),
    ("part_amount", Col(PART_AMOUNT_HEADER, "input")),
    ("resolved_by", Col(RESOLVER_HEADER, "input")),
]


@dataclass(frozen=True)
class RunReportData:
    """Everything the report shows; money in int kopecks (nullable ``Int64`` where it may be unknown).

    registers: register_id, file, channel, format, status, records (read from the file), payments,
    non_payment_lines, rejected_lines, amount_total, posted, suspense, rejected, duplicate, quarantined,
    residual. tieout: register_id (nullable), file, channel, payment_order_number, payment_order_date,
    net_amount, transfer_number, transfer_date, transfer_amount, payer_name, status ('tied' | TRANSFER_MISMATCH |
    TRANSFER_MISSING | REGISTER_MISSING), rule, difference. discrepancies: code, register_id,
    payment_id, channel, file, line_no, operation_id, paid_date, account_raw, uip, payer, address,
    amount, detail, raw. proposals: ``domain.nearmiss.PROPOSAL_COLUMNS``. inbox: channel, file,
    state (``rkc.inbox.InboxState`` value), age_minutes, detail, stored_path. meters: register_id,
    file, channel, line_no, payment_id, account, meter, value. gis_rejected: export_date, kind
    (``domain.gis_exchange.ItemKind`` value), payment_id, channel, operation_id, uip, amount, file,
    transport_guid, error. channel_names: what the cells show for a channel (its code when absent).
    cash_bridge: (item, documents, kopecks) lines of the center account's cash bridge. agent_money:
    each non-zero agent and unallocated balance with what explains it (``domain.agent_money``).
    """

    run_date: date
    registers: pd.DataFrame
    tieout: pd.DataFrame
    discrepancies: pd.DataFrame
    proposals: pd.DataFrame
    inbox: pd.DataFrame | None = None
    meters: pd.DataFrame | None = None
    gis_rejected: pd.DataFrame | None = None
    channel_names: Mapping[str, str] = field(default_factory=dict)  # code → the agent's name (rkc.yaml)
    cash_bridge: list[tuple[str, int | None, int]] | None = None  # domain.cashbridge.CashBridge.lines()
    agent_money: pd.DataFrame | None = None  # domain.agent_money.ROW_COLUMNS
    methods: pd.DataFrame | None = None  # method, payments, posted, suspense, amount (rkc.summary.methods_of_night)


def report_paths(run_date: date, out_dir: Path) -> tuple[Path, Path]:
    """The stable names of a run's report: ``discrepancies-<YYYY-MM-DD>.xlsx`` and ``.html``."""
    stem = f"discrepancies-{run_date.isoformat()}"
    return out_dir / f"{stem}.xlsx", out_dir / f"{stem}.html"


def write_run_report(data: RunReportData, out_dir: Path, html_rows: int = 1000) -> tuple[Path, Path]:
    """Write the run's discrepancy report as XLSX and HTML into ``out_dir``; return both paths.

    The workbook lists every row; the page shows the first ``html_rows`` of each section (0: all)
    and says how many there are, with the counts and sums of the index over all of them."""
    xlsx_path, html_path = report_paths(data.run_date, out_dir)
    names = data.channel_names
    registers = select_columns(data.registers, REGISTER_COLUMNS).sort_values("register_id", ignore_index=True)
    registers["status"] = registers["status"].map(lambda s: STATUS_RU.get(s, s))
    registers["format"] = registers["format"].map(format_ru)
    registers = russian_channels(registers, names)
    tieout = select_columns(data.tieout, TIEOUT_COLUMNS)
    tieout["status"] = tieout["status"].map(_tie_status)
    tieout["rule"] = tieout["rule"].map(rule_ru)
    total = _total_row(registers)
    discrepancies = _register_amounts(_transfer_amounts(data.discrepancies, data.tieout), data.registers)
    sections = [(code, title, _reasons_ru(code, russian_channels(frame, names)), columns)
                for code, title, frame, columns in _sections(discrepancies, data.proposals)]  # fmt: skip
    shown = extra_sheets(data.cash_bridge, data.agent_money, data.inbox, data.meters, data.gis_rejected)
    extras = [(title, russian_channels(frame, names), columns) for title, frame, columns in shown]
    index = _index(sections)

    methods, methods_total = method_table(data.methods)  # a night without stored payments has no such sheet
    sheets = [
        SheetSpec(SUMMARY_TITLE, [c for _, c in REGISTER_COLUMNS], registers, tail=total),
        *([SheetSpec(METHODS_TITLE, [c for _, c in METHOD_COLUMNS], methods, tail=methods_total)] if len(methods)
          else []),
        *([SheetSpec(INDEX_TITLE, [c for _, c in INDEX_COLUMNS], index)] if len(index) else []),
        SheetSpec(TIEOUT_TITLE, [c for _, c in TIEOUT_COLUMNS], russian_channels(tieout, names)),
    ]
    for code, title, frame, columns in sections:
        sheets.append(SheetSpec(sheet_title(title, code), [c for _, c in columns], frame))
    sheets += [SheetSpec(title, [c for _, c in columns], frame) for title, frame, columns in extras]
    # The workbook and the page are written at once: both spend their time in Arrow and zlib, which
    # release the GIL, so the two cores share the work.
    with ThreadPoolExecutor(max_workers=1) as pool:
        workbook = pool.submit(write_workbook, xlsx_path, sheets)
        render_html(
            "run_report.html.j2",
            html_path,
            run_date=data.run_date.strftime("%d.%m.%Y"),
            summary=html_table(pd.concat([registers, total], ignore_index=True), REGISTER_COLUMNS),
            methods=html_table(pd.concat([methods, methods_total], ignore_index=True), METHOD_COLUMNS)
            if len(methods) else None,
            tieout=html_table(russian_channels(tieout, names), TIEOUT_COLUMNS),
            index=[(title, code, len(frame), _sum_ru(frame["amount"])) for code, title, frame, _ in sections],
            sections=[
                {"code": code, "title": title, "rows": len(frame), "shown": len(shown),
                 "table": html_table(shown, [c for c in cols if c[1].kind != "input"])}
                for code, title, frame, cols in sections
                for shown in [frame.iloc[: html_rows or None]]
            ],
            extras=[
                {"title": title, "rows": len(frame), "shown": len(shown), "table": html_table(shown, columns)}
                for title, frame, columns in extras
                for shown in [frame.iloc[: html_rows or None]]
            ],
            workbook=xlsx_path.name,
        )
        workbook.result()
    return xlsx_path, html_path


def _tie_status(status: object) -> object:
    if status == TieStatus.TIED:
        return "сверено"
    try:
        return TITLES_RU[Code(str(status))]
    except ValueError:
        return status


def _total_row(registers: pd.DataFrame) -> pd.DataFrame:
    """«Итого»: counts and every bridge amount summed in int kopecks (no formulas in the sheet)."""
    row: dict[str, object] = {name: None for name, _ in REGISTER_COLUMNS}
    row["file"] = "Итого"
    for name, col in REGISTER_COLUMNS:
        if col.kind == "money" or name in COUNT_COLUMNS:
            row[name] = int(pd.array(registers[name], dtype="Int64").sum()) if len(registers) else 0
    return pd.DataFrame([row], columns=[n for n, _ in REGISTER_COLUMNS])


def _proposal_text(proposals: pd.DataFrame) -> pd.Series:
    """Per payment id: its proposals as one line, e.g. «ЛС 1234 → ПД U1 (2026-02), одна цифра»."""
    p = proposals.reindex(columns=PROPOSAL_COLUMNS)
    if p.empty:
        return pd.Series(dtype=object)
    reason = p["reason"].map(lambda r: REASON_RU.get(r, r))
    text = "ЛС " + text_column(p["account"]) + " → ПД " + text_column(p["uip"])
    text = text + " (" + text_column(p["period"]) + "), " + text_column(reason)
    return pd.Series(text, index=p["payment_id"].astype("int64").to_numpy()).groupby(level=0).agg("; ".join)


def _transfer_amounts(discrepancies: pd.DataFrame, tieout: pd.DataFrame) -> pd.DataFrame:
    """A register whose п/п is missing carries no payment's amount: the amount is its net (what the
    п/п should bring), and its description says it; a п/п of another sum, the difference."""
    d = discrepancies.copy()
    if d.empty or "register_id" not in tieout.columns:
        return d
    by_register = tieout.dropna(subset=["register_id"]).drop_duplicates("register_id").set_index("register_id")
    rid = pd.array(d["register_id"], dtype="Int64")
    amount = pd.array(d["amount"], dtype="Int64")
    codes = d["code"].astype(object)
    for code, source in ((Code.TRANSFER_MISSING.value, "net_amount"), (Code.TRANSFER_MISMATCH.value, "difference")):
        if source not in by_register.columns:
            continue
        fill = (codes == code).to_numpy() & np.asarray(pd.isna(amount)) & np.asarray(~pd.isna(rid))
        if fill.any():
            looked = by_register[source].reindex(np.asarray(rid[fill], dtype=np.int64)).abs()
            amount[fill] = pd.array(looked.to_numpy(), dtype="Int64")
            if code == Code.TRANSFER_MISSING.value:
                words = d["detail"].astype(object).copy()
                words[fill] = [f"{w}: ожидался п/п на {money}" for w, money in
                               zip(words[fill], money_ru(pd.Series(looked.to_numpy())), strict=True)]  # fmt: skip
                d["detail"] = words
    d["amount"] = amount
    return d


PARSER_REASON_CODES = (Code.MALFORMED_LINE.value, Code.BAD_FILE.value)  # descriptions the parsers wrote in English


def _reasons_ru(code: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The parsers' reasons of a section in Russian (``reports.reasons_ru``); others as they are."""
    if code not in PARSER_REASON_CODES or "detail" not in frame.columns:
        return frame
    return frame.assign(detail=translate_column(frame["detail"]))


REGISTER_CODES = (Code.REGISTER_TOTAL_MISMATCH.value, Code.UNVERIFIED_REGISTER.value)  # a whole register's finding


def _register_amounts(discrepancies: pd.DataFrame, registers: pd.DataFrame) -> pd.DataFrame:
    """A finding about a whole register without an amount of its own weighs the register's total."""
    if discrepancies.empty or "register_id" not in registers.columns or "amount" not in discrepancies.columns:
        return discrepancies
    totals = registers.drop_duplicates("register_id").set_index("register_id")["amount_total"]
    rid = pd.array(discrepancies["register_id"], dtype="Int64")
    amount = pd.array(discrepancies["amount"], dtype="Int64")
    fill = (discrepancies["code"].astype(object).isin(REGISTER_CODES).to_numpy() & np.asarray(pd.isna(amount))
            & np.asarray(~pd.isna(rid)))  # fmt: skip
    if fill.any():
        amount[fill] = pd.array(totals.reindex(np.asarray(rid[fill], dtype=np.int64)).to_numpy(), dtype="Int64")
    return discrepancies.assign(amount=amount)


def _index(sections: list[tuple[str, str, pd.DataFrame, list]]) -> pd.DataFrame:
    """One row per discrepancy kind present: its title, rows and sum; the largest sums first."""
    rows = [{"title": title, "rows": len(frame), "amount": int(pd.array(frame["amount"], dtype="Int64").sum())}
            for _, title, frame, _ in sections]  # fmt: skip
    return pd.DataFrame(rows, columns=[n for n, _ in INDEX_COLUMNS])


def _sections(discrepancies: pd.DataFrame, proposals: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame, list]]:
    """(code, title, frame, columns) per code present, the largest sums first (then the most rows,
    then the order of ``domain.codes.Code``)."""
    d = discrepancies.reindex(columns=["code", *[n for n, _ in DISCREPANCY_COLUMNS]])
    d = d[d["code"].notna()]
    order = {c.value: i for i, c in enumerate(Code)}
    codes = sorted(pd.unique(d["code"].astype(str)), key=lambda c: (order.get(c, len(order)), c))
    # One sort of the whole night (code in report order, register, line) and one gather; each
    # section is then a contiguous slice, instead of a filter and a sort per code.
    rank = d["code"].astype(str).map({c: i for i, c in enumerate(codes)}).to_numpy(dtype=np.int64)
    last = np.iinfo(np.int64).max  # rows without a register or line after the others, as sort_values put them
    keys = [pd.array(d[k], dtype="Int64").fillna(last).to_numpy(dtype=np.int64) for k in ("line_no", "register_id")]
    d = d.take(np.lexsort([*keys, rank])).drop(columns="code")  # stable: ties keep their stored order
    bounds = np.searchsorted(np.sort(rank), np.arange(len(codes) + 1))
    proposal_text = _proposal_text(proposals)
    out = []
    for i, code in enumerate(codes):
        frame = d.iloc[bounds[i] : bounds[i + 1]].reset_index(drop=True)
        columns = list(DISCREPANCY_COLUMNS)
        if code in SUSPENSE_CODES:
            pid = pd.array(frame["payment_id"], dtype="Int64")
            frame["proposals"] = proposal_text.reindex(np.asarray(pid.fillna(-1), dtype=np.int64)).to_numpy()
            frame["target"] = None
            frame["part_amount"] = None
            frame["resolved_by"] = None
            columns += RESOLUTION_COLUMNS
        title = TITLES_RU.get(Code(code), code) if code in order else code
        out.append((code, title, frame, columns))
    weight = [(-int(pd.array(f["amount"], dtype="Int64").sum()), -len(f)) for _, _, f, _ in out]
    return [section for _, section in sorted(zip(weight, out, strict=True), key=lambda pair: pair[0])]


def _sum_ru(values: pd.Series) -> str:
    total = pd.array(values, dtype="Int64").sum()
    return str(money_ru(pd.Series([0 if pd.isna(total) else int(total)]))[0])
