"""Generate the DBF register samples of tests/test_parsers_dbf.py (committed; rerun only to change them).

    .venv/bin/python tests/data/corpus/dbf/make_dbf_samples.py

Then regenerate the golden files: ``RKC_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_parsers_dbf.py``
and review the diff. The layouts are those of docs/FORMATS.md (DBF registers).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from tests.dbfutil import CP866, CP1251, NO_DRIVER, POCHTA_FIELDS, SBER_FIELDS, sber_record, write_dbf  # noqa: E402


def sber_branch(path: Path, driver: int = CP866) -> None:
    """Five payments (leading-zero accounts, with and without commission), a deleted record, ИТОГО."""
    records = [
        (" ", sber_record("000012345678", "ИВАНОВ ИВАН ИВАНОВИЧ", "1500.00", komis="15.00", op="000000000101")),
        (
            " ",
            sber_record(
                "000012345679",
                "ПЕТРОВА АННА СЕРГЕЕВНА",
                "950.50",
                komis="9.51",
                op="000000000102",
                adres="Г ИПАТОВО УЛ МИРА Д 7 КВ 12",
            ),
        ),
        ("*", sber_record("000012345680", "СИДОРОВ ПЁТР", "300.00", komis="3.00", op="000000000103")),
        (" ", sber_record("000000004711", "КУЗНЕЦОВА ЕЛЕНА", "2000", komis="20.00", op="000000000104", period="0126")),
        (" ", sber_record("000012345681", "ЁЛКИН СЕМЁН", "0.50", op="000000000105", day="20260316")),
        (" ", sber_record("", "ИТОГО", "4451.00", komis="44.51", period="", day="", adres="")),
    ]
    write_dbf(path, SBER_FIELDS, records, encoding="cp866", driver=driver)


def pochta(path: Path) -> None:
    """cp1251, text dates and times, MMYYYY periods, a numeric operation number, totals with a count."""
    records = [
        (
            " ",
            [
                "301234567890",
                "Смирнов Алексей Петрович",
                "г. Ставрополь, ул. Ленина, д. 5, кв. 3",
                "022026",
                "1234.56",
                "12.35",
                "15.03.2026",
                "09:15:00",
                "7001",
            ],
        ),
        (
            " ",
            [
                "0045678",
                "Орлова Мария",
                "г. Ставрополь, пр. Кулакова, д. 1",
                "022026",
                "800.00",
                "8.00",
                "15.03.2026",
                "11:40:12",
                "7002",
            ],
        ),
        (
            " ",
            [
                "301234567891",
                "Яковлев Юрий",
                "с. Донское, ул. Садовая, д. 12",
                "032026",
                "99.99",
                "0.00",
                "16.03.26",
                "18:05",
                "7003",
            ],
        ),
        (" ", ["", "Итого", "", "", "2134.55", "20.35", "", "", "3"]),
    ]
    write_dbf(path, POCHTA_FIELDS, records, encoding="cp1251", driver=CP1251)


if __name__ == "__main__":
    sber_branch(HERE / "sber_branch_cp866.dbf")
    sber_branch(HERE / "sber_branch_nodriver.dbf", driver=NO_DRIVER)  # cp866 told by letter count
    pochta(HERE / "pochta_cp1251.dbf")
