"""The declarative base of every table, its naming convention and the column types shared by the models."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Integer,
    MetaData,
    String,
)
from sqlalchemy.orm import DeclarativeBase

from domain.ledger import EntryKind


def _sql_list(values: type[StrEnum]) -> str:
    """A vocabulary as the SQL list its column's check names: the database checks the domain's words."""
    return ", ".join(f"'{v.value}'" for v in values)


KINDS_SQL = _sql_list(EntryKind)

# SQLite only auto-increments "INTEGER PRIMARY KEY"; PostgreSQL gets BIGINT identities.
IdType = BigInteger().with_variant(Integer, "sqlite")


def bytewise(length: int) -> String:
    """A VARCHAR compared bytewise on PostgreSQL (identifiers and codes in heavily indexed tables:
    locale comparisons made their index writes several times slower); SQLite is bytewise anyway."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")  # type: ignore[return-value]


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)
