"""ГИС ЖКХ cancellations of payment notifications (#18 item 4): the file read (a sample composed
from the XSD and public client code, valid against XSD 14.4.0.1), set aside from the registers,
and applied by the night on both databases — a posted payment reversed, one not posted yet held
and reported until it comes, nothing applied twice."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from parsers.base import BadFile
from parsers.gis_cancellations import Cancellation, read_cancellations
from rkc.config import init_home
from rkc.gis_cancel import apply_cancellations, set_cancellations_aside
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame

SAMPLE = Path(__file__).parent / "data" / "gis" / "cancellation.xml"
FIRST = Cancellation("GIS-0000000001", date(2026, 11, 21), "Сведения загружены ошибочно",
                     "6f1c2a4e-0b7d-4c59-9a53-2f7e1d3b8c01")  # fmt: skip
SUPPLIER = "7707083893"


def test_the_sample_is_read_and_valid_against_the_schema(samples_dir: Path) -> None:
    xsd = samples_dir / "gis-zhkh-xsd-14.4.0.1"
    items = read_cancellations(SAMPLE, xsd)
    assert items[0] == FIRST
    assert (items[1].order_id, items[1].comment) == ("GIS-0000000002", "")


@pytest.mark.parametrize(("case", "change", "reason"), [
    ("another request", ("importNotificationsOfOrderExecutionCancellationRequest", "getStateResult"), "expected"),
    ("no OrderID", ("<pb:OrderID>GIS-0000000001</pb:OrderID>", ""), "OrderID and CancellationDate are required"),
    ("not a date", ("<pb:CancellationDate>2026-11-21</pb:CancellationDate>", "<pb:CancellationDate>21.11.2026"
                    "</pb:CancellationDate>"), "is not a date"),
    ("not XML", ("<?xml", "?xml"), "not readable XML"),
])  # fmt: skip
def test_bad_files_are_refused_with_their_reason(tmp_path: Path, case: str, change: tuple[str, str],
                                                reason: str) -> None:  # fmt: skip
    bad = tmp_path / "bad.xml"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(BadFile, match=reason):
        read_cancellations(bad)


def _post_gis(engine: sa.Engine, order_id: str, name: str) -> None:
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn, name, channel="gis")
        post_payments(uow.conn, rid, payment_frame([{"channel": "gis", "operation_id": order_id,
                                                              "amount": 50_000}]),
                               split_frame([(0, SUPPLIER, "ЖКУ", 50_000)]))  # fmt: skip
        uow.commit()


def _ledger(engine: sa.Engine) -> tuple[int, dict[str, int]]:
    with engine.connect() as conn:
        reversals = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_entry WHERE kind = 'reversal'")).scalar_one()
        held = conn.execute(sa.text("SELECT run_date, operation_id FROM discrepancy"
                                    " WHERE code = 'GIS_CANCELLATION_HELD'")).all()  # fmt: skip
    return int(reversals), {str(r.run_date)[:10]: r.operation_id for r in held}


def test_a_posted_payment_is_reversed_and_an_early_cancellation_waits(tmp_path: Path, engine: sa.Engine) -> None:
    config, _ = init_home(tmp_path / "home")
    _post_gis(engine, "GIS-0000000001", "n1.xml")
    inbox = config.home / "inbox" / "gis"
    shutil.copy(SAMPLE, inbox / "cancel.xml")
    (inbox / "notes.xml").write_text("<x/>", encoding="utf-8")
    registers, cancellations = set_cancellations_aside(config, [("gis", inbox / "notes.xml"),
                                                                ("gis", inbox / "cancel.xml")])  # fmt: skip
    assert (registers, cancellations) == ([("gis", inbox / "notes.xml")], [("gis", inbox / "cancel.xml")])

    night = date(2026, 11, 21)
    first = apply_cancellations(config, engine, night, cancellations)
    assert (first.files, first.new, first.applied, first.held) == (1, 2, 1, 1)
    assert _ledger(engine) == (1, {"2026-11-21": "GIS-0000000002"})
    assert (config.archive / night.isoformat() / "gis" / "cancel.xml").is_file()

    # The second payment comes the next night: the held cancellation is applied then.
    _post_gis(engine, "GIS-0000000002", "n2.xml")
    second = apply_cancellations(config, engine, date(2026, 11, 22), [])
    assert (second.new, second.applied, second.held) == (0, 1, 0)
    assert _ledger(engine) == (2, {"2026-11-21": "GIS-0000000002"})  # the first night's report keeps its row

    # The same file again changes nothing.
    again = tmp_path / "again.xml"
    shutil.copy(SAMPLE, again)
    third = apply_cancellations(config, engine, date(2026, 11, 23), [("gis", again)])
    assert (third.new, third.applied, third.held) == (0, 0, 0)
    assert _ledger(engine)[0] == 2
    with engine.connect() as conn:
        notes = conn.execute(sa.text("SELECT status, note FROM gis_cancellation ORDER BY id")).all()
    assert [n.status for n in notes] == ["applied", "applied"]
    assert all("сторнировано проводок 1" in n.note for n in notes)


def test_an_unreadable_cancellation_file_is_quarantined(tmp_path: Path, engine: sa.Engine) -> None:
    config, _ = init_home(tmp_path / "home")
    bad = config.home / "inbox" / "gis" / "cancel.xml"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").replace("<pb:OrderID>GIS-0000000001</pb:OrderID>", ""),
                   encoding="utf-8")  # fmt: skip
    summary = apply_cancellations(config, engine, date(2026, 11, 21), [("gis", bad)])
    assert summary.bad_files and "OrderID" in summary.bad_files[0]
    assert (config.quarantine / "2026-11-21" / "gis" / "cancel.xml").is_file()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT code FROM discrepancy")).scalars().all() == ["BAD_FILE"]
