"""Supplier statements for a month: XLSX, a machine-readable CSV register and HTML per supplier.

Written to ``<out_root>/statements/<YYYY-MM>/<inn>/`` for every supplier with movements in the
period or a non-zero balance:

- ``statement-<period>-<inn>.xlsx``: «Выписка» (details, opening balance, totals by kind with the
  payments by service, by channel and by method, closing balance), «Поступления по дням» (payments
  by value date and channel), «Корректировки» (reclassifications from suspense, reversals and any
  other movement, one row per posting), «Перечисления» (payouts) and «Возвраты плательщикам»
  (refunds of its payments' money);
- ``register-<period>-<inn>.csv``: one line per supplier posting (payment part, reclass part,
  reversal part), ``;``-separated, cp1251, CRLF, header row, decimal comma, and a control-total
  footer line ``ИТОГО;<count>;…;<sum>`` (docs/REPORTS.md);
- ``statement-<period>-<inn>.html``: the XLSX content as a page (jinja2, autoescaped).

A statement holds that supplier's postings only, and its movements sum to closing − opening of
the supplier's ledger account (checked before anything is written: a difference is a bug).
The use case (``rkc.statements``) hands over the suppliers (``statement_suppliers``) and their
movements a group of whole suppliers at a time (``render_group``; ``render_statements`` renders a
whole ``StatementData`` as one group); display columns are built vectorized over the group's
suppliers at once and then sliced per supplier, so a file depends on its supplier's rows only and
is the same whatever the grouping. A sheet longer than Excel's limit continues on «<title> (2)» …
(``reports.xlsx.split_sheet``). Nothing here queries the database.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.ledger import EntryKind
from domain.methods import by_method, label_ru
from reports.labels import relabelled, russian_channels
from reports.render import html_table, render_html
from reports.statement_csv import csv_lines, line_bodies, write_csv
from reports.xlsx import MAX_SHEET_ROWS, Col, SheetSpec, write_workbook
from reports.xlsx_values import strings

KIND_RU = {EntryKind.PAYMENT: "Платеж", EntryKind.RECLASS: "Разнесение невыясненного", EntryKind.REVERSAL: "Сторно",
           EntryKind.TRANSFER: "Перечисление", EntryKind.FEE: "Вознаграждение РКЦ",
           EntryKind.PAYOUT: "Перечисление поставщику", EntryKind.PAYOUT_SETTLED: "Списано банком",
           EntryKind.REFUND: "Возврат плательщику", EntryKind.REFUND_SETTLED: "Возврат списан банком"}  # fmt: skip
MONTHS_RU = ["", "январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
             "октябрь", "ноябрь", "декабрь"]  # fmt: skip
SUMMARY_COLUMNS = [("label", Col("Показатель")), ("value", Col("Значение")), ("count", Col("Количество", "int")),
                   ("amount", Col("Сумма", "money"))]  # fmt: skip
DAILY_COLUMNS = [("value_date", Col("Дата", "date")), ("channel", Col("Канал")), ("count", Col("Платежей", "int")),
                 ("amount", Col("Сумма", "money"))]  # fmt: skip
CORRECTION_COLUMNS = [
    ("value_date", Col("Дата", "date")),
    ("kind_ru", Col("Вид")),
    ("channel", Col("Канал")),
    ("operation_id", Col("Номер операции")),
    ("paid_date", Col("Дата платежа", "date")),
    ("account_raw", Col("Лицевой счет")),
    ("doc_uip", Col("УИП")),
    ("payer", Col("Плательщик")),
    ("service", Col("Услуга")),
    ("amount", Col("Сумма", "money")),
    ("description", Col("Основание")),
]


PAYOUT_COLUMNS = [("value_date", Col("Дата", "date")), ("description", Col("Платёжное поручение")),
                  ("amount", Col("Сумма", "money"))]  # fmt: skip
REFUND_COLUMNS = [("value_date", Col("Дата", "date")), ("operation_id", Col("Номер операции")),
                  ("paid_date", Col("Дата платежа", "date")), ("payer", Col("Плательщик")), ("service", Col("Услуга")),
                  ("amount", Col("Сумма", "money")), ("description", Col("Основание"))]  # fmt: skip


_PAYMENT_VIEW = ["inn", "value_date", "channel", "service", "method", "amount"]  # what payments are read for


class StatementError(Exception):
    """A statement's movements do not add up to its balances: a bug, never bad input."""


@dataclass(frozen=True)
class StatementData:
    """What the statements of a period are written from (``rkc.statements.statement_data``)."""

    period: str  # YYYY-MM
    start: date  # the period's first day
    directory: pd.DataFrame  # suppliers' details (``sql.reporting.supplier_directory``)
    balances: pd.DataFrame  # inn, opening, closing (``sql.reporting.supplier_period_balances``)
    moves: pd.DataFrame  # every supplier posting of the period, by inn (``sql.reporting.MOVEMENT_COLUMNS``)


def statement_dir(out_root: Path, period: str, inn: str) -> Path:
    """Where a supplier's statement files go."""
    return out_root / "statements" / period / inn


def render_statements(data: StatementData, out_root: Path, channel_names: Mapping[str, str] | None = None,
                      sheet_rows: int = MAX_SHEET_ROWS) -> list[Path]:  # fmt: skip
    """Write every supplier's statement of ``data``'s period; return the paths written.
    ``channel_names`` (code → agent's name) is what the XLSX and HTML show for a channel; the CSV
    register keeps the codes, for machines. ``sheet_rows``: rows a sheet holds before the rest goes
    on to «<title> (2)» and on (``reports.xlsx.write_workbook``)."""
    suppliers = statement_suppliers(data.directory, data.balances)
    return render_group(data.period, data.start, suppliers, data.moves, out_root, channel_names, sheet_rows)


def statement_suppliers(directory: pd.DataFrame, balances: pd.DataFrame) -> pd.DataFrame:
    """Every supplier with details or a balance: ``inn``, ``name``, ``kpp``, ``bank_account``,
    ``bic`` ("" when unknown), ``opening`` and ``closing`` (int kopecks, 0 without a balance) and
    ``postings`` in the period when the balances have them (0 without), by inn."""
    suppliers = directory.merge(balances, on="inn", how="outer")
    for column in ("opening", "closing", "postings"):  # postings: the balances' count of the period's
        if column in suppliers:
            suppliers[column] = suppliers[column].fillna(0).astype("int64")
    for column in ("name", "kpp", "bank_account", "bic"):
        suppliers[column] = suppliers[column].astype(object).where(suppliers[column].notna(), "")
    return suppliers.sort_values("inn", ignore_index=True)


def render_group(period: str, start: date, suppliers: pd.DataFrame, moves: pd.DataFrame, out_root: Path,
                 channel_names: Mapping[str, str] | None = None,
                 sheet_rows: int = MAX_SHEET_ROWS) -> list[Path]:  # fmt: skip
    """Write the statements of ``suppliers`` (rows of ``statement_suppliers``) from ``moves``: every
    movement of the period of those suppliers (``sql.reporting.MOVEMENT_COLUMNS``, sorted by inn,
    value date, entry and leg) and of no other. Suppliers without movements get one when a balance
    is not zero. Return the paths written, by inn. The month's statements are any partition of its
    suppliers into groups rendered this way: each file depends on its supplier's rows only."""
    moves = moves.copy(deep=False)  # display columns are added: the caller's frame keeps its own
    suppliers = suppliers.copy()
    moved = moves.groupby("inn")["amount"].agg(["sum", "size"])
    strays = moved.index.difference(pd.Index(suppliers["inn"].astype(str)))
    if len(strays):
        raise StatementError(f"movements of suppliers without a balance or details: {strays.tolist()[:10]}")
    suppliers["moved"] = suppliers["inn"].map(moved["sum"]).fillna(0).astype("int64")
    suppliers["rows"] = suppliers["inn"].map(moved["size"]).fillna(0).astype("int64")
    bad = suppliers[suppliers["closing"] - suppliers["opening"] != suppliers["moved"]]
    if len(bad):
        raise StatementError(f"movements differ from closing - opening for suppliers {bad['inn'].tolist()[:10]}")
    keep = (suppliers["rows"] > 0) | (suppliers["opening"] != 0) | (suppliers["closing"] != 0)
    suppliers = suppliers[keep].sort_values("inn", ignore_index=True)

    moves["kind_ru"] = relabelled(moves["kind"], lambda kind: KIND_RU.get(kind, kind))
    # The receipt a movement is for: the accountant's resolution, else the matched one, else the
    # payment's own. Arrow's coalesce: pandas' fillna of one column by another cost ~6 % of a group.
    doc_uip = pc.coalesce(*(strings(moves[c]) for c in ("resolved_uip", "matched_uip", "uip")))
    moves["doc_uip"] = pd.Series(doc_uip, index=moves.index, dtype="str")
    bounds = _slices(moves["inn"], suppliers["inn"])
    bodies = _csv_bodies(csv_lines(moves), bounds)
    moves = russian_channels(moves, channel_names or {})  # what people read; the CSV above keeps the codes
    is_payment = moves["kind"] == EntryKind.PAYMENT
    # The payments' sheet and breakdowns read a few columns: a month with corrections copies those
    # only (copying every column cost up to a fifth of such a group's rendering); most months copy nothing.
    payments = moves if is_payment.all() else moves.loc[is_payment, [c for c in _PAYMENT_VIEW if c in moves]]
    daily = (
        payments.groupby(["inn", "value_date", "channel"], dropna=False, sort=True)["amount"]
        .agg(count="size", amount="sum")
        .reset_index()
    )
    daily_bounds = _slices(daily["inn"], suppliers["inn"])
    pay_bounds = _slices(payments["inn"], suppliers["inn"])
    corrections = moves[~is_payment]
    corr_bounds = _slices(corrections["inn"], suppliers["inn"])

    by_kind = moves.groupby(["inn", "kind"])["amount"].agg(["size", "sum"])
    kinds = {inn: frame.droplevel(0) for inn, frame in by_kind.groupby(level=0)}
    empty_kinds = by_kind.iloc[0:0].droplevel(0)
    title_period = f"{MONTHS_RU[start.month]} {start.year}"
    last_day = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    span = f"{start:%d.%m.%Y} – {last_day:%d.%m.%Y}"
    written: list[Path] = []
    for i, s in enumerate(suppliers.itertuples(index=False)):
        folder = statement_dir(out_root, period, s.inn)
        folder.mkdir(parents=True, exist_ok=True)
        day = daily.iloc[daily_bounds[i][0] : daily_bounds[i][1]].reset_index(drop=True)
        corr = corrections.iloc[corr_bounds[i][0] : corr_bounds[i][1]].reset_index(drop=True)
        mine = payments.iloc[pay_bounds[i][0] : pay_bounds[i][1]]
        summary = _summary(s, kinds.get(s.inn, empty_kinds), span, _breakdown(mine, "service"),
                           _breakdown(mine, "channel"), _by_method(mine))  # fmt: skip
        paid = corr[corr["kind"] == EntryKind.PAYOUT].reset_index(drop=True)
        refunded = corr[corr["kind"] == EntryKind.REFUND].reset_index(drop=True)
        stem = f"{period}-{s.inn}"
        csv_path = folder / f"register-{stem}.csv"
        write_csv(csv_path, bodies[i], int(s.rows), int(s.moved))
        xlsx_path = write_workbook(
            folder / f"statement-{stem}.xlsx",
            [
                SheetSpec("Выписка", _cols(SUMMARY_COLUMNS), summary),
                SheetSpec("Поступления по дням", _cols(DAILY_COLUMNS), day[[n for n, _ in DAILY_COLUMNS]],
                          tail=_total(day, DAILY_COLUMNS, "channel")),
                SheetSpec("Корректировки", _cols(CORRECTION_COLUMNS), corr[[n for n, _ in CORRECTION_COLUMNS]],
                          tail=_total(corr, CORRECTION_COLUMNS, "kind_ru")),
                SheetSpec("Перечисления", _cols(PAYOUT_COLUMNS), paid[[n for n, _ in PAYOUT_COLUMNS]],
                          tail=_total(paid, PAYOUT_COLUMNS, "description")),
                SheetSpec("Возвраты плательщикам", _cols(REFUND_COLUMNS), refunded[[n for n, _ in REFUND_COLUMNS]],
                          tail=_total(refunded, REFUND_COLUMNS, "operation_id")),
            ],
            max_rows=sheet_rows,
        )  # fmt: skip
        html_path = render_html(
            "statement.html.j2",
            folder / f"statement-{stem}.html",
            title=f"Выписка по расчётам с поставщиком за {title_period}",
            supplier=s,
            summary=html_table(summary, SUMMARY_COLUMNS),
            daily=_html_with_total(day, DAILY_COLUMNS, "channel"),
            corrections=_html_with_total(corr, CORRECTION_COLUMNS, "kind_ru"),
            payouts=_html_with_total(paid, PAYOUT_COLUMNS, "description"),
            refunds=_html_with_total(refunded, REFUND_COLUMNS, "operation_id"),
        )  # fmt: skip
        written += [xlsx_path, csv_path, html_path]
    return written


def _cols(columns: list[tuple[str, Col]]) -> list[Col]:
    return [c for _, c in columns]


def _slices(keys: pd.Series, inns: pd.Series) -> list[tuple[int, int]]:
    """Row ranges of each supplier in a frame sorted by ``inn`` (empty range when absent): the runs
    of equal keys found in Arrow, then one search a supplier among the distinct keys (converting
    every key to a Python string cost more than the rest of the lookup)."""
    wanted = inns.to_numpy(dtype=object).astype(str)
    if not len(keys):
        return [(0, 0)] * len(wanted)
    runs = pc.run_end_encode(strings(keys))
    ends = runs.run_ends.to_numpy()
    distinct = np.asarray(runs.values.to_pylist(), dtype=object).astype(str)
    starts = np.concatenate([[0], ends[:-1]])
    bounds = np.concatenate([starts, [ends[-1]]])
    lo = np.searchsorted(distinct, wanted, side="left")
    hi = np.searchsorted(distinct, wanted, side="right")
    return list(zip(bounds[lo].tolist(), bounds[hi].tolist(), strict=True))


def _summary(s: object, by_kind: pd.DataFrame, span: str, by_service: list[tuple[str, int, int]],
             by_channel: list[tuple[str, int, int]],
             by_method: list[tuple[str, int, int]] | None = None) -> pd.DataFrame:  # fmt: skip
    """The «Выписка» sheet: supplier details, opening, movement totals by kind (payments also by
    service, by channel and by method: ``(name, count, kopecks)``, each block summing to the
    payments' total), closing."""
    rows: list[tuple[str, str | None, int | None, int | None]] = [
        ("Поставщик", s.name, None, None),  # type: ignore[attr-defined]
        ("ИНН / КПП", f"{s.inn} / {s.kpp}" if s.kpp else s.inn, None, None),  # type: ignore[attr-defined]
        ("Расчётный счёт", s.bank_account, None, None),  # type: ignore[attr-defined]
        ("БИК", s.bic, None, None),  # type: ignore[attr-defined]
        ("Период", span, None, None),
        ("Входящий остаток (задолженность РКЦ перед поставщиком)", None, None, int(s.opening)),  # type: ignore[attr-defined]
    ]
    labels = {EntryKind.PAYMENT: "Поступило платежей", EntryKind.RECLASS: "Разнесено из невыясненных",
              EntryKind.REVERSAL: "Сторно", EntryKind.FEE: "Вознаграждение РКЦ",
              EntryKind.PAYOUT: "Перечислено поставщику", EntryKind.REFUND: "Возвращено плательщикам"}  # fmt: skip
    known = list(labels)
    for kind in known:
        count, total = (
            (int(by_kind.at[kind, "size"]), int(by_kind.at[kind, "sum"])) if kind in by_kind.index else (0, 0)
        )
        rows.append((labels[kind], None, count, total))
        if kind == EntryKind.PAYMENT:
            rows += [(f"  в т.ч. по услуге «{name}»", None, int(n), int(total)) for name, n, total in by_service]
            rows += [(f"  в т.ч. через «{name}»", None, int(n), int(total)) for name, n, total in by_channel]
            rows += [(f"  в т.ч. способом «{name}»", None, int(n), int(total)) for name, n, total in by_method or []]
    other = by_kind.drop(index=[k for k in known if k in by_kind.index])
    rows.append(("Прочие движения", None, int(other["size"].sum()), int(other["sum"].sum())))
    rows.append(("Итого движение за период", None, int(s.rows), int(s.moved)))  # type: ignore[attr-defined]
    rows.append(("Исходящий остаток", None, None, int(s.closing)))  # type: ignore[attr-defined]
    frame = pd.DataFrame(rows, columns=["label", "value", "count", "amount"])
    frame["count"] = frame["count"].astype("Int64")
    frame["amount"] = frame["amount"].astype("Int64")
    return frame


def _breakdown(payments: pd.DataFrame, by: str) -> list[tuple[str, int, int]]:
    """One supplier's payments summed by ``by`` (service or channel): (name, count, kopecks), by name."""
    if payments.empty:
        return []
    grouped = payments.groupby(payments[by].fillna("—"), sort=True)["amount"].agg(["size", "sum"])
    return [(str(name), int(n), int(total)) for name, n, total in grouped.itertuples()]


def _by_method(payments: pd.DataFrame) -> list[tuple[str, int, int]]:
    """One supplier's payments summed by how the payer paid: (Russian label, count, kopecks) in the
    order of ``domain.methods.PaymentMethod``, «Не указан» last (payments stored before methods)."""
    if payments.empty:
        return []
    method = payments["method"] if "method" in payments.columns else pd.Series(None, index=payments.index)
    rows = by_method(method, payments["amount"].to_numpy())  # missing methods: by_method's None row
    return [(label_ru(r.method), int(r.payments), int(r.amount)) for r in rows.itertuples(index=False)]


def _total(frame: pd.DataFrame, columns: list[tuple[str, Col]], label_at: str) -> pd.DataFrame:
    """An «Итого» row: the amount summed (int kopecks), and the count where the table has one."""
    row: dict[str, object] = {name: None for name, _ in columns}
    row[label_at] = "Итого"
    row["amount"] = int(frame["amount"].sum()) if len(frame) else 0
    if "count" in row:
        row["count"] = int(frame["count"].sum()) if len(frame) else 0
    return pd.DataFrame([row], columns=[n for n, _ in columns])


def _html_with_total(frame: pd.DataFrame, columns: list[tuple[str, Col]], label_at: str) -> dict:
    """A page table of ``frame``'s ``columns`` with its «Итого» row (only the columns shown are
    joined: concatenating every movement column cost more than the page)."""
    shown = frame[[n for n, _ in columns]]
    return html_table(pd.concat([shown, _total(frame, columns, label_at)]), columns)


def _csv_bodies(lines: pa.Array, bounds: list[tuple[int, int]]) -> list[pa.Buffer]:
    """Each supplier's register body: its run of ``lines`` (``csv_lines``, each ending in CRLF), cut
    without a copy (``line_bodies``); the runs must tile the lines in order."""
    ends = [hi for _, hi in bounds]
    if bounds and any(lo != end for (lo, _), end in zip(bounds[1:], ends, strict=False)):
        raise StatementError("movements are not contiguous per supplier")  # a bug in the ordering
    return line_bodies(lines, bounds)
