"""Text rendering shared by the reports: vectorized Russian money and dates, and HTML via jinja2.

HTML is rendered by jinja2 with autoescaping always on: payer names, addresses and raw lines
come from outside and must never become markup.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from reports.xlsx import Col

NBSP = "\u00a0"
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("reports", "templates"),
    autoescape=True,  # every template, whatever its extension
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def money_text(values: pd.Series, *, decimal: str = ",", group: str = "") -> np.ndarray:
    """Int kopecks as text: ``-1234,56`` (``group`` between thousands, e.g. a no-break space).
    Missing values become ""."""
    k = pd.array(pd.Series(values), dtype="Int64")
    if len(k) == 0:
        return np.array([], dtype=object)
    missing = np.asarray(k.isna())
    raw = np.asarray(k.fillna(0), dtype=np.int64)
    a = np.abs(raw)
    whole = pd.Series(a // 100).astype(str)
    if group:
        # Thousands grouping: Python's "," grouping, then the separator swapped in (vectorized).
        whole = pd.Series(a // 100).map("{:,}".format).str.replace(",", group, regex=False)
    frac = pd.Series(a % 100).astype(str).str.zfill(2)
    sign = np.where(raw < 0, "-", "")
    out = (sign + whole.to_numpy(dtype=object) + decimal + frac.to_numpy(dtype=object)).astype(object)
    out[missing] = ""
    return out


def money_ru(values: pd.Series) -> np.ndarray:
    """Russian display format: ``1 234,56`` with a no-break space between thousands."""
    return money_text(values, decimal=",", group=NBSP)


def date_text(values: pd.Series, fmt: str = "%d.%m.%Y") -> np.ndarray:
    """Dates (date objects, ISO text or datetimes) as ``DD.MM.YYYY``; missing become "".

    Formats each distinct date once: a night or a month has few of them."""
    d = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
    codes, uniques = pd.factorize(d)
    labels = np.append(pd.DatetimeIndex(uniques).strftime(fmt).to_numpy(dtype=object), "")
    return labels[np.where(codes < 0, len(labels) - 1, codes)]


def text_column(values: pd.Series) -> np.ndarray:
    """Values as display text; missing become ""."""
    s = pd.Series(values, dtype=object)
    return s.where(s.notna(), "").astype(str).to_numpy(dtype=object)


def render_html(template: str, path: Path, **context: object) -> Path:
    """Render ``reports/templates/<template>`` (autoescaped) to ``path``, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as out:
        for chunk in _ENV.get_template(template).generate(**context):
            out.write(chunk)
    os.replace(tmp, path)
    return path


def html_table(frame: pd.DataFrame, columns: list[tuple[str, Col]]) -> dict:
    """Headers, per-column CSS classes and rows of display text (escaped by the template)."""
    cells = []
    for name, col in columns:
        values = frame[name] if name in frame else pd.Series([None] * len(frame))
        if col.kind == "money":
            cells.append(money_ru(values))
        elif col.kind == "date":
            cells.append(date_text(values))
        elif col.kind == "int":
            cells.append(text_column(pd.Series(pd.array(values, dtype="Int64"), dtype=object)))
        else:
            cells.append(text_column(values))
    rows = list(zip(*cells, strict=True)) if cells else []
    return {
        "headers": [c.header for _, c in columns],
        "classes": ["num" if c.kind in ("money", "int") else "" for _, c in columns],
        "rows": rows,
    }
