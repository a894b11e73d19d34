"""Storage: SQLAlchemy models, Alembic migrations, the unit of work and set-based writes.

SQLite is the embedded default; PostgreSQL is production. Everything here runs on both.
"""
