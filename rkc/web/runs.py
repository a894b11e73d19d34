"""The run history (``/runs``): each night's signed manifest, newest first, with what verifying it
found (``rkc.verify.manifest_page``: its signature, the chain head it signed, its files)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from domain.chain_check import Problem
from rkc.verify import manifest_page
from rkc.web.security import current_user
from rkc.web.security import page as render

router = APIRouter()
PAGE_SIZE = 30
PROBLEM_RU = {
    Problem.MANIFEST_SIGNATURE: "подпись не сходится",
    Problem.MANIFEST_CHAIN: "подписанной вершины цепочки проводок нет в цепочке",
    Problem.MANIFEST_FILE: "файл манифеста изменён или удалён",
    Problem.FILE_CHANGED: "файл изменён после подписи",
    Problem.FILE_MISSING: "файл не найден",
    Problem.DEMO_KEY: "подписан демонстрационным ключом",
}


@router.get("/runs")
def runs(request: Request, page: Annotated[int, Query(ge=1, le=1000000)] = 1) -> Response:
    """One page of the run history with each manifest's verification."""
    user = current_user(request)
    rows, total = manifest_page(request.app.state.config, request.app.state.engine, page, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render(request, "runs.html", {
        "user": user, "total": total, "page": page, "pages": pages,
        "rows": [{"manifest": m, "findings": [f"{PROBLEM_RU.get(f.problem, f.problem.value)}: {f.subject}"
                                              for f in found]} for m, found in rows],
        "prev": f"/runs?page={page - 1}" if page > 1 else None,
        "next": f"/runs?page={page + 1}" if page < pages else None,
    })  # fmt: skip
