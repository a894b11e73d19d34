"""Meter readings: exploded from the payments' tuples, stored in bulk, read back for the night."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from sql.meters import meter_rows, night_meter_readings, store_meter_readings
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame


def test_meter_rows_one_per_reading() -> None:
    payments = pd.DataFrame({"payment_id": [5, 6, 7], "account": ["01", "02", "03"],
                             "meters": [(("ХВС", "0012"), ("ГВС", "7")), None, ()]})  # fmt: skip
    rows = meter_rows(payments)
    assert rows.to_dict("records") == [
        {"payment_id": 5, "account": "01", "meter": "ХВС", "value": "0012"},  # leading zeros are data
        {"payment_id": 5, "account": "01", "meter": "ГВС", "value": "7"},
    ]
    assert meter_rows(payments.iloc[1:]).empty


def test_readings_stored_and_read_back_for_the_night(engine: sa.Engine) -> None:
    payments = payment_frame([{"operation_id": "1", "amount": 100, "account": "1001"},
                              {"operation_id": "2", "amount": 200, "account": "1002"}])  # fmt: skip
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn, "r.txt")
        ids = post_payments(uow.conn, rid, payments, split_frame([])).ids.set_index("payment_id")["id"]
        readings = meter_rows(pd.DataFrame({"payment_id": [0, 1], "account": ["1001", "1002"],
                                            "meters": [(("ПУ1", "10"),), (("ПУ2", "20"), ("ПУ3", "30"))]}))  # fmt: skip
        assert store_meter_readings(uow.conn, readings.assign(payment_id=readings["payment_id"].map(ids))) == 3
        assert store_meter_readings(uow.conn, readings.iloc[:0]) == 0
        uow.commit()
    with engine.connect() as conn:
        night = night_meter_readings(conn, date(2026, 3, 16))
        other = night_meter_readings(conn, date(2026, 3, 17))
    assert night[["file", "account", "meter", "value"]].values.tolist() == [
        ["r.txt", "1001", "ПУ1", "10"], ["r.txt", "1002", "ПУ2", "20"], ["r.txt", "1002", "ПУ3", "30"]
    ]  # fmt: skip
    assert night["payment_id"].tolist() == [ids[0], ids[1], ids[1]]
    assert other.empty
