"""Intake's promises about a file as a whole: its records are accounted for (payments + declared
non-payments + rejected = an independent count, or the register stops as a bug), and a file its
channel's format does not identify is refused with what was looked for and what was found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from openpyxl import Workbook

from domain.records import empty_payments
from parsers.base import Chunk
from rkc.config import init_home, load_config
from rkc.intake import BAD_FILE, PARSED, take_in

SBER = (Path(__file__).parent / "data" / "registers" / "sber_classic_cp1251.txt").read_bytes()


def test_a_register_records_every_record(tmp_path: Path, engine: sa.Engine) -> None:
    config, _ = init_home(tmp_path / "home")
    path = tmp_path / "r.txt"
    path.write_bytes(SBER)
    intake = take_in(config, engine, "sber", path, tmp_path / "work")
    assert intake.status == PARSED, intake.reason
    lines = SBER.count(b"\n") + (0 if SBER.endswith(b"\n") else 1)
    assert intake.records == lines
    assert intake.records == intake.lines + intake.non_payment_lines
    assert intake.non_payments.get("footer") == 1


class _Dropping:
    """A parser that passes over one payment without a word: the bug the accounting exists to catch."""

    name, format = "text:sber_classic", "text"

    def identify(self, path: Path, head: bytes) -> bool:
        return True

    def parse(self, path: Path) -> Iterator[Chunk]:
        yield Chunk(payments=empty_payments(), non_payments={"footer": 1})


def test_a_parser_that_loses_a_record_stops_the_register(tmp_path: Path, engine: sa.Engine, monkeypatch) -> None:
    config, _ = init_home(tmp_path / "home")
    path = tmp_path / "r.txt"
    path.write_bytes(SBER)
    monkeypatch.setattr("rkc.intake.build_parser", lambda *args: _Dropping())
    intake = take_in(config, engine, "sber", path, tmp_path / "work")
    assert intake.status == BAD_FILE
    assert intake.reason.startswith("учёт записей файла не сходится: записей в файле")
    assert "ошибка программы" in intake.reason


def test_an_unidentified_workbook_is_refused_with_the_closest_row(tmp_path: Path, engine: sa.Engine) -> None:
    config = load_config(init_home(tmp_path / "home")[0].home)
    book = Workbook()
    sheet = book.active
    sheet.append(["Реестр платежей за 20.11.2026"])
    sheet.append(["№ п/п", "Дата платежа", "Лицевой счет", "Оплачено, руб."])
    sheet.append([1, "20.11.2026", "1001", 100.5])
    path = tmp_path / "portal.xlsx"
    book.save(path)
    intake = take_in(config, engine, "portal", path, tmp_path / "work")
    assert intake.status == BAD_FILE
    assert intake.reason.startswith("not a xlsx:portal register (the format configured for channel portal): ")
    assert "Оплачено, руб." in intake.reason and "expected one of: Сумма" in intake.reason
    assert pd.isna(intake.payments_path) or intake.payments_path is None
