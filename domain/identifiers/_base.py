"""The error all identifier validators raise."""


class InvalidIdentifier(ValueError):
    """An identifier that fails its format or check-digit rule; the message says which."""
