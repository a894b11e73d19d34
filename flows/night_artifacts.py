"""The night's artifacts for the Prefect UI: the bridge as a table, the discrepancy counts as
markdown, in Russian like everything the center's people read."""

from __future__ import annotations

from datetime import date

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from rkc.summary import BRIDGE_FIELDS, bridge_lines


def publish_artifacts(result: dict, channels: dict[str, str]) -> None:
    """The night's bridge as a table and the discrepancy counts as markdown, for the Prefect UI, in
    Russian like everything the center's people read."""
    day = date.fromisoformat(result["date"]).strftime("%d.%m.%Y")
    create_table_artifact(bridge_rows(result["registers"], channels), key="nightly-bridge",
                          description=f"Сверка за {day} по реестрам, руб.; остаток должен быть 0,00")  # fmt: skip
    create_markdown_artifact(discrepancy_markdown(result), key="nightly-discrepancies")


BRIDGE_HEADERS_RU = {"amount_total": "Поступило", "posted": "Проведено", "suspense": "Невыясненные",
                     "rejected": "Отклонено", "duplicate": "Дубли", "quarantined": "Карантин",
                     "residual": "Остаток"}  # fmt: skip


def bridge_rows(registers: list[dict], channels: dict[str, str] | None = None) -> list[dict]:
    """One row per register in rubles (``1 234,56``) with its residual, and an Итого row: what the
    operator checks first is that every residual is 0,00. Channels by their agents' names."""
    from domain.money import format_ru
    from reports.console import channel_ru, status_ru

    rows = []
    for line in bridge_lines(registers):
        amounts = {BRIDGE_HEADERS_RU[k]: format_ru(line[k]) for k in (*BRIDGE_FIELDS, "residual")}
        rows.append({"Файл": line["file"] or "Итого", "Канал": channel_ru(line["channel"], channels or {}),
                     "Статус": status_ru(line["status"]), **amounts})  # fmt: skip
    return rows


def discrepancy_markdown(result: dict) -> str:
    """The night's discrepancy counts (codes with their Russian titles) and where its report is."""
    from reports.console import code_ru

    found = result.get("discrepancies", {})
    counts = "\n".join(f"| {code_ru(code)} | {n} |" for code, n in found.items()) or "| нет | 0 |"
    day = date.fromisoformat(result["date"]).strftime("%d.%m.%Y")
    return (
        f"# Расхождения за {day}\n\n| Расхождение | Количество |\n|---|---|\n{counts}\n\n"
        f"Отчёт: [{result.get('xlsx')}](file://{result.get('xlsx')}) (на машине, где шёл прогон)\n\n"
        f"Итоги (JSON): `{result.get('summary')}`\n"
    )
