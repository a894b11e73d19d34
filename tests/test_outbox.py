"""The outbox's rules on both databases: a delivery is queued once per generation, claimed by one
run only, and one left claimed by a dead run becomes pending again."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from domain.transport import Document, Transport
from sql import outbox
from sql.uow import UnitOfWork

NOW = datetime(2026, 12, 1, 7, 0)


def wanted(sha: str = "a" * 64) -> outbox.Wanted:
    files = [{"name": "statement-2026-11-7707083893.xlsx", "path": "/p", "sha256": sha, "size": 1}]
    return outbox.Wanted(Document.STATEMENT, "2026-11", "7707083893", Transport.EMAIL, "buh@x.example", files)


def test_queued_once_refreshed_while_unsent_and_resent_only_on_purpose(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        assert outbox.enqueue(uow.conn, [wanted()]) == {"queued": 1, "refreshed": 0, "already": 0}
        assert outbox.enqueue(uow.conn, [wanted("b" * 64)]) == {"queued": 0, "refreshed": 1, "already": 0}
        (row,) = outbox.due(uow.conn, NOW)
        assert row["files"][0]["sha256"] == "b" * 64 and row["generation"] == 1
        assert outbox.claim(uow.conn, row["id"], NOW)
        assert not outbox.claim(uow.conn, row["id"], NOW)  # a second run finds it taken
        assert outbox.enqueue(uow.conn, [wanted()], resend=True) == {"queued": 0, "refreshed": 0, "already": 1}
        outbox.mark_sent(uow.conn, row["id"], NOW, "<m@x>")
        assert outbox.enqueue(uow.conn, [wanted()]) == {"queued": 0, "refreshed": 0, "already": 1}
        assert outbox.enqueue(uow.conn, [wanted()], resend=True)["queued"] == 1
        assert [(d["generation"], d["status"]) for d in outbox.deliveries(uow.conn)] == [(1, "sent"), (2, "pending")]
        uow.commit()


def test_a_claim_left_by_a_dead_run_is_released_after_a_while(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        outbox.enqueue(uow.conn, [wanted()])
        (row,) = outbox.due(uow.conn, NOW)
        outbox.claim(uow.conn, row["id"], NOW)
        assert outbox.due(uow.conn, NOW) == []
        assert outbox.release_stale(uow.conn, NOW - timedelta(minutes=30)) == 0
        assert outbox.release_stale(uow.conn, NOW + timedelta(minutes=1)) == 1
        (again,) = outbox.due(uow.conn, NOW)
        assert again["status"] == "pending" and "stopped" in again["last_error"]


def test_a_failure_waits_for_its_time_and_a_last_one_gives_up(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        outbox.enqueue(uow.conn, [wanted()])
        (row,) = outbox.due(uow.conn, NOW)
        outbox.claim(uow.conn, row["id"], NOW)
        outbox.mark_failed(uow.conn, row["id"], "SMTPDataError: 451", NOW + timedelta(minutes=30))
        assert outbox.due(uow.conn, NOW + timedelta(minutes=29)) == []
        (later,) = outbox.due(uow.conn, NOW + timedelta(minutes=30))
        assert later["attempts"] == 1 and later["last_error"] == "SMTPDataError: 451"
        outbox.claim(uow.conn, row["id"], NOW)
        outbox.mark_failed(uow.conn, row["id"], "SMTPDataError: 451", None)
        assert outbox.due(uow.conn, NOW + timedelta(days=30)) == []
        assert outbox.deliveries(uow.conn)[0]["status"] == "failed"
