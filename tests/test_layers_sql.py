"""All SQL lives in ``sql/``: no other layer builds a query or imports SQLAlchemy's query constructs.

Every module of ``domain/``, ``parsers/``, ``reports/``, ``rkc/`` and ``flows/`` is parsed (never
imported) and checked for (a) imports of SQLAlchemy beyond a short allow-list of names used as type
hints or caught as errors, and (b) string constants that read as SQL statements. The keywords are
matched in capitals only, so that English and Russian prose (docstrings, messages) never match.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("domain", "parsers", "reports", "rkc", "flows")

# What a layer above sql/ may import from SQLAlchemy: the engine and connection it hands to the
# repositories, and the errors it reports. Anything else (text, select, func, Table, orm…) is SQL.
ALLOWED_IMPORTS = {
    "rkc": {("sqlalchemy", "Engine"), ("sqlalchemy", "Connection"), ("sqlalchemy.exc", "OperationalError"),
            ("sqlalchemy.exc", "ArgumentError"), ("sqlalchemy.exc", "NoSuchModuleError")},
    "flows": {("sqlalchemy", "Engine"), ("sqlalchemy.exc", "OperationalError")},
}  # fmt: skip

SQL_STATEMENT = re.compile(
    r"\bSELECT\b.+\bFROM\b"
    r"|\bINSERT INTO\b"
    r"|\bUPDATE \w+ SET\b"
    r"|\bDELETE FROM\b"
    r"|\bCREATE (?:TEMP(?:ORARY)? )?(?:UNIQUE )?(?:TABLE|INDEX)\b"
    r"|\bCOPY \w+ (?:\(|FROM\b|TO\b)"
    r"|\bCOPY \(",
    re.DOTALL,
)


def _strings(node: ast.AST) -> str | None:
    """The text of a string constant, an f-string (its values as ``{}``) or a concatenation of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)  # type: ignore[misc]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _strings(node.left), _strings(node.right)
        if left is not None or right is not None:
            return (left or "{}") + (right or "{}")
    return None


def sql_findings(source: str, layer: str) -> list[str]:
    """What in ``source`` (a module of ``layer``) breaks the rule: ``"<line>: <what>"`` each."""
    allowed = ALLOWED_IMPORTS.get(layer, set())
    found = []
    parts: set[int] = set()  # the pieces of a string already read whole, with their parent
    for node in ast.walk(ast.parse(source)):  # breadth first: a parent before its pieces
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] == "sqlalchemy"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found += [f"{node.lineno}: from {node.module} import {a.name}" for a in node.names
                      if (node.module, a.name) not in allowed]  # fmt: skip
        elif isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)) and id(node) not in parts:
            text = _strings(node)
            if text is None:
                continue
            parts.update(id(n) for n in ast.walk(node))
            if SQL_STATEMENT.search(text):
                found.append(f"{node.lineno}: SQL text {text[:60]!r}")
    return sorted(set(found), key=lambda f: (int(f.split(":")[0]), f))


def _modules() -> list[Path]:
    return sorted(p for layer in CHECKED for p in (ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sql_outside_the_sql_layer(path: Path) -> None:
    layer = path.relative_to(ROOT).parts[0]
    assert sql_findings(path.read_text(encoding="utf-8"), layer) == []


def test_the_checker_catches_planted_sql_and_spares_prose() -> None:
    planted = """
from sqlalchemy import Engine, text
import sqlalchemy as sa
from sqlalchemy.orm import Session

QUERY = "SELECT code, COUNT(*) FROM discrepancy WHERE run_date = :d"
def f(conn, t):
    conn.execute(text(f"DELETE FROM {t} WHERE id = :i"))
    conn.execute(text("UPDATE register SET status = :s"))
    return ("INSERT INTO payment (id)" " VALUES (1)", "COPY payment (id) FROM STDIN", "CREATE TEMP TABLE x (a INT)")

PROSE = "Select the payments from the register; update the register set; a copy of the file"
RUSSIAN = "Выберите (SELECT) строки: проверка по реестру"
IMAP = f"SELECT {PROSE}"
"""
    assert sql_findings(planted, "rkc") == [
        "2: from sqlalchemy import text",
        "3: import sqlalchemy",
        "4: from sqlalchemy.orm import Session",
        "6: SQL text 'SELECT code, COUNT(*) FROM discrepancy WHERE run_date = :d'",
        "8: SQL text 'DELETE FROM {} WHERE id = :i'",
        "9: SQL text 'UPDATE register SET status = :s'",
        "10: SQL text 'COPY payment (id) FROM STDIN'",
        "10: SQL text 'CREATE TEMP TABLE x (a INT)'",
        "10: SQL text 'INSERT INTO payment (id) VALUES (1)'",
    ]
    assert sql_findings(planted, "domain")[0] == "2: from sqlalchemy import Engine"  # no allowance below rkc
