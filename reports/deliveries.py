"""The delivery report: what of a period's statements was sent, to whom and when, what failed and
why, what still waits, and which suppliers have nowhere to send to (an XLSX sheet «Рассылка»)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from domain.transport import STATUS_RU, TRANSPORT_RU, OutboxStatus, Transport
from reports.xlsx import Col, SheetSpec, write_workbook

NO_ADDRESS = "нет адреса"
COLUMNS = [("supplier_inn", Col("ИНН")), ("supplier_name", Col("Поставщик")), ("transport", Col("Способ")),
           ("recipient", Col("Получатель")), ("files", Col("Файлы")), ("status", Col("Статус")),
           ("attempts", Col("Попыток", "int")), ("sent", Col("Отправлено")), ("generation", Col("Отправка №", "int")),
           ("last_error", Col("Последняя ошибка"))]  # fmt: skip


def report_path(out_root: Path, period: str) -> Path:
    """Where the delivery report of ``period`` goes."""
    return out_root / "deliveries" / period / f"delivery-report-{period}.xlsx"


def _local(moment: datetime | None, zone: str) -> str:
    """A stored UTC time as ``dd.mm.yyyy HH:MM`` on the center's clock (empty when None)."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).strftime("%d.%m.%Y %H:%M")


def report_frame(deliveries: list[dict], unaddressed: list[dict], zone: str) -> pd.DataFrame:
    """One row per delivery (``sql.outbox.deliveries``) and per supplier with nowhere to send to
    (``supplier_inn``, ``supplier_name``, ``reason``), in Russian."""
    rows = [{
        "supplier_inn": d["supplier_inn"], "supplier_name": d["supplier_name"],
        "transport": TRANSPORT_RU[Transport(d["transport"])], "recipient": d["recipient"],
        "files": "; ".join(f["name"] for f in d["files"]), "status": STATUS_RU[OutboxStatus(d["status"])],
        "attempts": d["attempts"], "sent": _local(d["sent_at"], zone), "generation": d["generation"],
        "last_error": d["last_error"] or "",
    } for d in deliveries]  # fmt: skip
    rows += [{"supplier_inn": u["supplier_inn"], "supplier_name": u["supplier_name"], "transport": "",
              "recipient": "", "files": "", "status": NO_ADDRESS, "attempts": 0, "sent": "", "generation": 0,
              "last_error": u["reason"]} for u in unaddressed]  # fmt: skip
    frame = pd.DataFrame(rows, columns=[name for name, _ in COLUMNS])
    return frame.sort_values(["supplier_inn", "generation"], kind="stable", ignore_index=True)


def write_report(path: Path, frame: pd.DataFrame) -> Path:
    """Write the report's sheet, with a tail row counting each status."""
    counts = frame["status"].value_counts()
    summary = ", ".join(f"{status}: {counts[status]}" for status in counts.index)
    tail = pd.DataFrame([{name: None for name, _ in COLUMNS} | {"supplier_inn": "Итого", "status": summary}],
                        columns=[name for name, _ in COLUMNS])  # fmt: skip
    return write_workbook(path, [SheetSpec("Рассылка", [c for _, c in COLUMNS], frame, tail=tail)])
