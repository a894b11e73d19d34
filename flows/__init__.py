"""Prefect flows: thin wiring over the application's plain functions (``rkc.*``)."""

import rkc  # noqa: F401 - first: it names Arrow's allocator before anything loads pyarrow
