"""The night's bridge in an 80-column terminal and through a pipe: the residual on its row, the
statuses, channels and codes in Russian."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _rkc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(BIN / "rkc"), *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _table(lines: list[str]) -> list[str]:
    """The bridge's lines: from its title to the Итого row."""
    first = next(i for i, line in enumerate(lines) if line.startswith("Сверка за "))
    last = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Итого"))
    return lines[first : last + 1]


def test_the_night_at_80_columns_shows_the_residual_on_one_line(harness, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RKC_DATABASE"))}
    # The worker's server: starting one of its own is tests/test_early_server.py's subject, not this one's.
    env |= {"COLUMNS": "80", "RKC_HOME": str(home), "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    _rkc("init", env=env)
    _rkc("generate", "--dir", str(home), "--accounts", "40", "--payments", "120", env=env)
    _rkc("charges", "import", str(home / "charges.csv"), "--suppliers", str(home / "suppliers.csv"), env=env)
    output = _rkc("run", "--date", "2026-11-20", env=env).stdout  # a pipe, as `rkc run | less` has
    lines = output.splitlines()
    table = _table(lines)
    assert all(len(line) <= 80 for line in table), "\n".join(table)
    total = table[-1].split()
    assert total[0] == "Итого" and total[-1] == "0,00", table[-1]  # the residual, whole, on the Итого row
    rows = [line for line in table if re.match(r"\s*\d+\s", line)]
    assert len(rows) >= 5 and all(row.rstrip().endswith(" 0,00") for row in rows), "\n".join(table)
    assert "\x1b[" not in output  # no colour codes in a pipe
    # Below it, in Russian: statuses, channels by their agents' names, codes with their titles.
    assert "проведён" in output and "карантин" in output and "ПАО Сбербанк (sber)" in output
    assert re.search(r"Итоги реестра не сходятся \(REGISTER_TOTAL_MISMATCH\): \d+", output), output
    assert not re.search(r"\b(posted|quarantined|Discrepancies|Report)\b", output), output


@pytest.mark.parametrize("width", [80, 60])
def test_a_large_night_still_fits(width: int, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    from rkc import cli_flows

    monkeypatch.setattr(cli_flows.out, "width", width)
    big = {"file": "reestr_5230_19112026_01.txt", "channel": "sber", "status": "posted",
           "amount_total": 999_999_999_999, "posted": 999_999_000_000, "suspense": 999_999, "rejected": 0,
           "duplicate": 0, "quarantined": 0}  # fmt: skip
    short = {**big, "status": "quarantined", "posted": 0, "suspense": 0, "quarantined": 999_999_999_000}  # fmt: skip
    cli_flows.print_bridge({"date": "2026-11-19", "registers": [big, short], "discrepancies": {"TRANSFER_MISSING": 1}},
                           {"sber": "ПАО Сбербанк"})  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    table = _table(lines)
    assert table[-1].split()[-1] == "9,99"
    assert next(line for line in table if line.lstrip().startswith("2 ")).rstrip().endswith("9,99")
    assert "  Нет п/п по реестру (TRANSFER_MISSING): 1" in lines
    if width == 80:
        assert all(len(line) <= 80 for line in table)
        assert "19\u00a0999\u00a0999\u00a0999,98" in table[-1]  # no amount cut
