"""The night's and a supplier's payments by method (способ оплаты), as the reports show them.

The run report's «Способы оплаты» sheet (and its section of the page) lists the night's stored
payments per method with what was posted and what went to suspense, and an «Итого» row that equals
the posted and suspense columns of «Сводка» (docs/REPORTS.md). Labels are Russian
(``domain.methods.LABELS_RU``); payments stored before methods were recorded show «Не указан».
"""

from __future__ import annotations

import pandas as pd

from domain.methods import label_ru, order_methods
from reports.xlsx import Col

METHODS_TITLE = "Способы оплаты"
METHOD_COLUMNS = [
    ("label", Col("Способ оплаты")),
    ("payments", Col("Платежей", "int")),
    ("posted", Col("Проведено", "money")),
    ("suspense", Col("Невыясненные", "money")),
    ("amount", Col("Всего", "money")),
]


def method_table(methods: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows (in ``PaymentMethod`` order, labelled) and the «Итого» row of a by-method frame
    (``method``, ``payments``, ``posted``, ``suspense``, ``amount``: int kopecks)."""
    names = [n for n, _ in METHOD_COLUMNS]
    if methods is None or methods.empty:
        body = pd.DataFrame(columns=names)
    else:
        body = order_methods(methods.copy())
        body["label"] = body["method"].map(label_ru)
        body = body.reindex(columns=names)
    total = {n: None for n in names}
    total["label"] = "Итого"
    for column in ("payments", "posted", "suspense", "amount"):
        total[column] = int(pd.array(body[column], dtype="Int64").sum()) if len(body) else 0
    return body.reset_index(drop=True), pd.DataFrame([total], columns=names)
