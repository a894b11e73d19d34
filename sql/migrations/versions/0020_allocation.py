"""Money without its register: the ``allocation`` entry kind

A п/п from a known agent that no posted register claims is received into
``agent_unallocated:<channel>``; when its register is posted and tied, an ``allocation`` entry moves
it to ``agent:<channel>`` (docs/LEDGER.md, "Money without its register"). The kind check of
``ledger_entry`` is extended; no table changes.

On SQLite rebuilding ``ledger_entry`` for its check drops the append-only triggers
(``sql.append_only``); they are created again.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 10:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('payment', 'transfer', 'reversal', 'reclass', 'fee', 'payout', 'payout_settled', 'write_off')"
NEW_KINDS = (
    "kind IN ('payment', 'transfer', 'reversal', 'reclass', 'fee', 'payout', 'payout_settled', 'write_off', 'allocation')"
)


def _check(kinds: str) -> None:
    from sql.append_only import create, drop

    bind = op.get_bind()
    rebuilt = ("ledger_entry",)  # SQLite rebuilds the table, which drops its triggers
    drop(bind, rebuilt, function=False)
    with op.batch_alter_table("ledger_entry") as batch:
        batch.drop_constraint(op.f("ck_ledger_entry_kind_known"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_entry_kind_known"), kinds)
    create(bind, rebuilt)


def upgrade() -> None:
    """Apply this revision."""
    _check(NEW_KINDS)


def downgrade() -> None:
    """Revert this revision (refused by the check while allocation entries exist)."""
    _check(OLD_KINDS)
