"""Identifiers of the domain, one module each, in the python-stdnum style.

Each module has ``compact`` (strip formatting), ``validate`` (return the compact form or raise
``InvalidIdentifier`` with the reason) and ``is_valid`` (a boolean).
"""

from domain.identifiers._base import InvalidIdentifier

__all__ = ["InvalidIdentifier"]
