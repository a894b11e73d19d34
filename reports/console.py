"""The night's bridge as the operator's terminal shows it (``rkc run``, ``rkc demo``).

It fits 80 columns, the width a pipe or a plain terminal gets: one narrow row per register (its
number, received, posted, the rest placed, residual), the residual last and never cut; the files,
their channels and statuses below, one line each, and what «Прочее» holds. Everything the operator
reads is Russian; the codes stay beside their titles, since the folders and logs use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from rich import box
from rich.table import Table

from domain.codes import TITLES_RU, Code
from domain.methods import NOT_STATED, label_ru
from domain.money import format_ru, parse_amount
from domain.statuses import RegisterStatus
from reports.reasons_ru import translate

STATUS_RU = {  # sql registers' and intake outcomes' statuses
    RegisterStatus.RECEIVED: "принят",
    RegisterStatus.POSTED: "проведён",
    RegisterStatus.QUARANTINED: "карантин",
    RegisterStatus.BAD_FILE: "нечитаемый файл",
    RegisterStatus.DUPLICATE: "повторный файл",
    "waiting": "ждёт",
}
OTHER_RU = {"suspense": "невыясненные", "rejected": "отклонено", "duplicate": "дубли", "quarantined": "карантин"}


def status_ru(status: str) -> str:
    """A register's status as the accountants say it (the code itself when it has no title yet)."""
    return STATUS_RU.get(status, status)


def code_ru(code: str) -> str:
    """A discrepancy code with its Russian title: «Нет п/п по реестру (TRANSFER_MISSING)»."""
    title = TITLES_RU.get(Code(code)) if code in Code.__members__ else None
    return f"{title} ({code})" if title else code


def channel_ru(channel: str, names: Mapping[str, str]) -> str:
    """A channel by its agent's name from the configuration, with the code its inbox folder has."""
    name = names.get(channel, "")
    return f"{name} ({channel})" if name and name != channel else channel


def _date_ru(value: str) -> str:
    try:
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    except ValueError:
        return value


AMOUNT_COLUMNS = (("Поступило", "amount_total"), ("Проведено", "posted"), ("Прочее¹", "other"),
                  ("Остаток", "residual"))  # fmt: skip
NARROW_DROPS = ("Прочее¹", "Проведено", "Поступило")  # given up in this order when even 80 columns are not there


def bridge_table(lines: list[dict], run_date: str, width: int = 80) -> Table:
    """Registers numbered 1…n and the Итого row: № | Поступило | Проведено | Прочее¹ | Остаток.
    Narrower than that needs (a 60-column window), middle columns are left out, never cut: the
    row's label and its residual stay whole."""
    rows = [[str(n), *_amounts(line)] for n, line in enumerate(lines[:-1], 1)] + [["Итого", *_amounts(lines[-1])]]
    headers = ["№", *(h for h, _ in AMOUNT_COLUMNS)]
    keep = list(range(len(headers)))
    for drop in NARROW_DROPS:
        if _needed(headers, rows, keep) <= width:
            break
        keep.remove(headers.index(drop))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"Сверка за {_date_ru(run_date)}", title_justify="left")
    for i in keep:
        table.add_column(headers[i], justify="right", no_wrap=True)
    for number, row in enumerate(rows, 1):
        last = number == len(rows)
        table.add_row(*[row[i] for i in keep], style="bold" if last else None, end_section=last)
    return table


def _needed(headers: list[str], rows: list[list[str]], keep: list[int]) -> int:
    """Characters a row takes: the widest cell of each kept column, two spaces between columns."""
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows)) for i in keep]
    return sum(widths) + 2 * (len(widths) - 1)


def _other(line: dict) -> int:
    return sum(int(line[k]) for k in OTHER_RU)


def _amounts(line: dict) -> list[str]:
    values = {**line, "other": _other(line)}
    return [format_ru(values[key]) for _, key in AMOUNT_COLUMNS]


def _breakdown(line: dict) -> str:
    return ", ".join(f"{word} {format_ru(line[k])}" for k, word in OTHER_RU.items() if int(line[k]))


def legend_lines(lines: list[dict], channels: Mapping[str, str]) -> list[str]:
    """Below the table: each numbered register's file, channel and status (and its «Прочее» when
    there is any), then what the columns mean."""
    *registers, total = lines
    out = ["Реестры:"]
    for number, line in enumerate(registers, 1):
        other = _breakdown(line)
        out.append(f"{number:>3}. {line['file']} — {channel_ru(line['channel'], channels)}, {status_ru(line['status'])}"
                   + (f"; прочее: {other}" if other else ""))  # fmt: skip
    out.append("¹ Прочее = невыясненные + отклонено + дубли + карантин"
               + (f"; за ночь: {_breakdown(total)}." if _other(total) else "."))  # fmt: skip
    out.append("Остаток = Поступило − Проведено − Прочее; в каждой строке должен быть 0,00.")
    return out


def _kopecks(amount: str) -> int:
    """run-summary.json's ``"1234.56"`` as kopecks."""
    return parse_amount(amount)


def night_lines(result: dict, channels: Mapping[str, str]) -> list[str]:
    """What follows the bridge: registers of another run, skipped files, discrepancies, the report."""
    out = []
    this_run = result.get("posted_this_run")
    if this_run is not None and len(this_run) < len(result["registers"]):
        out.append(f"Этот запуск провёл {len(this_run)} из {len(result['registers'])} реестров ночи; остальные "
                   "провёл более ранний запуск той же ночи.")  # fmt: skip
    for s in result.get("skipped", []):
        reason = f" — {translate(s['reason'])}" if s.get("reason") else ""
        out.append(f"{s['file']} ({channel_ru(s['channel'], channels)}): {status_ru(s['status'])}{reason}")
    found = result.get("discrepancies", {})
    out.append("Расхождения: " + ("нет" if not found else f"{sum(found.values())}"))
    out += [f"  {code_ru(code)}: {count}" for code, count in found.items()]
    methods = result.get("by_method") or {}
    if methods:
        out.append("По способам оплаты (проведено и невыясненные):")
        out += [f"  {label_ru(None if code == NOT_STATED else code)}: {format_ru(_kopecks(m['amount']))}"
                f" ({m['payments']})" for code, m in methods.items()]  # fmt: skip
    out.append(f"Отчёт: {result.get('xlsx')}")
    out.append(f"Итоги (JSON): {result.get('summary')}")
    return out
