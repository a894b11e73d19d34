"""The decision step reserves the night's payment ids: one block past every stored id, register
after register, each register's in its payments' key order (the order posting stores them in)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from rkc.decide import _reserve_ids
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame


def test_ids_are_one_block_past_the_stored_ones_in_register_then_key_order(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:  # a payment stored before: the block starts after it
        result = post_payments(uow.conn, new_register(uow.conn), payment_frame([{"operation_id": "1", "amount": 1}]),
                               split_frame([]))  # fmt: skip
        uow.commit()
    stored = int(result.ids["id"].iloc[0])
    night = pd.DataFrame({
        "register_key": [0, 0, 0, 1, 1],
        "channel": ["sber", "sber", "sber", "post", "post"],
        "operation_id": ["9", "10", "9", "2", "1"],  # keys sort as text: "10" < "9"
        "occurrence": [1, 1, 2, 1, 1],
    })  # fmt: skip
    with engine.connect() as conn:
        ids, rows_of = _reserve_ids(conn, night)
    first = int(ids.min())
    assert first > stored and sorted(ids) == list(range(first, first + 5))
    assert (ids - first).tolist() == [1, 0, 2, 4, 3]
    assert rows_of(pd.Series(ids[::-1])).tolist() == [4, 3, 2, 1, 0]
    with engine.connect() as conn:
        ids_again, _ = _reserve_ids(conn, night.iloc[0:0])
    assert len(ids_again) == 0 and ids_again.dtype == np.int64


def test_an_unfinished_plan_is_finished_only_while_its_ids_are_free(engine: sa.Engine, tmp_path) -> None:
    """A plan left unposted is finished under the ids it reserved, unless they were taken since
    (SQLite reserves past the highest stored id: another night may have stored payments there),
    and a plan written before ids were reserved (rows numbered from 0) is never finished."""
    import json

    from rkc.intake import PARSED, Intake
    from rkc.night_plan import NightPlan, unfinished_plan
    from rkc.workfiles import NightStore, PlanKind

    sha = "a" * 64
    plan = NightPlan(str(tmp_path), {})
    with engine.connect() as conn:
        from sql.payment_ids import reserve_payment_ids

        block = reserve_payment_ids(conn, 3)
    ids = list(block)
    pd.DataFrame({"payment_id": ids}).to_parquet(plan.path(sha, PlanKind.DECISIONS))
    for kind in (PlanKind.PARTS, PlanKind.FLAGS):
        pd.DataFrame({"payment_id": []}).to_parquet(plan.path(sha, kind))
    record = NightStore(tmp_path).plan_record
    record.write_text(json.dumps({"plan": plan.to_dict(), "registers": [sha]}), encoding="utf-8")
    parsed = [Intake(str(tmp_path / "r.txt"), "sber", sha, PARSED)]
    assert unfinished_plan(engine, parsed, tmp_path) is None  # an earlier release's plan
    record.write_text(json.dumps({"plan": plan.to_dict(), "registers": [sha], "payment_ids": "reserved"}),
                      encoding="utf-8")  # fmt: skip
    assert unfinished_plan(engine, parsed, tmp_path) == plan
    payments = payment_frame([{"operation_id": "1", "amount": 1}]).assign(payment_id=[ids[1]])
    with UnitOfWork(engine) as uow:  # another night's payment took one of them
        post_payments(uow.conn, new_register(uow.conn), payments, split_frame([]), reserved=True)
        uow.commit()
    assert unfinished_plan(engine, parsed, tmp_path) is None
