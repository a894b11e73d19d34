"""Supplier pages: the directory with what the center owes each (``/suppliers``, paginated by the
server) and one supplier (``/suppliers/{inn}``): its balance, latest payouts and the statements
written for it under ``out/statements/<period>/<inn>/`` to download."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from starlette.responses import FileResponse, Response

from rkc.web.security import current_user
from rkc.web.security import page as render
from sql.supplier_pages import recent_payouts, supplier, supplier_page

router = APIRouter()
PAGE_SIZE = 50
Inn = Annotated[str, PathParam(pattern=r"^\d{10}(\d{2})?$")]
_PERIOD = re.compile(r"^\d{4}-\d{2}$")


def _statements(out: Path, inn: str) -> list[dict]:
    """The statement files written for ``inn``, newest period first (period, name)."""
    root = out / "statements"
    folders = sorted((p for p in root.glob(f"*/{inn}") if _PERIOD.match(p.parent.name) and p.is_dir()),
                     key=lambda p: p.parent.name, reverse=True) if root.is_dir() else []  # fmt: skip
    return [{"period": f.parent.name, "name": file.name} for f in folders for file in sorted(f.iterdir())
            if file.is_file() and not file.name.startswith(".")]  # fmt: skip


@router.get("/suppliers")
def suppliers(request: Request, page: Annotated[int, Query(ge=1, le=1000000)] = 1) -> Response:
    """The suppliers by ИНН with what the center owes each."""
    user = current_user(request)
    with request.app.state.engine.connect() as conn:
        rows, total = supplier_page(conn, page, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render(request, "suppliers.html", {
        "user": user, "rows": rows, "total": total, "page": page, "pages": pages,
        "prev": f"/suppliers?page={page - 1}" if page > 1 else None,
        "next": f"/suppliers?page={page + 1}" if page < pages else None,
    })  # fmt: skip


@router.get("/suppliers/{inn}")
def supplier_card(request: Request, inn: Inn) -> Response:
    """One supplier: balance, latest payouts, statements."""
    user = current_user(request)
    with request.app.state.engine.connect() as conn:
        row = supplier(conn, inn)
        payouts = recent_payouts(conn, inn) if row else []
    if row is None:
        return render(request, "error.html", {"user": user, "message": f"Поставщик с ИНН {inn} не найден."}, 404)
    files = _statements(request.app.state.config.out, inn)
    return render(request, "supplier.html", {"user": user, "s": row, "payouts": payouts, "files": files})


@router.get("/suppliers/{inn}/files/{period}/{name}")
def statement_file(request: Request, inn: Inn, period: str, name: str) -> Response:
    """One of the supplier's statement files, if it is one of those listed on its page."""
    user = current_user(request)
    listed = {(f["period"], f["name"]) for f in _statements(request.app.state.config.out, inn)}
    if (period, name) not in listed:
        return render(request, "error.html", {"user": user, "message": "Файл не найден."}, 404)
    path = request.app.state.config.out / "statements" / period / inn / name
    return FileResponse(path, filename=name)
