"""Prefect flows: thin wiring over the application's plain functions (``rkc.*``)."""
