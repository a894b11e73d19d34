"""The settlement center's domain: money, identifiers, records and the rules that decide.

Nothing in this package does I/O, imports SQLAlchemy or imports Prefect.
"""
