"""The configuration's clock: the operating date is the center's, whatever the worker's zone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rkc.config import ConfigError, init_home, load_config


def _with_timezone(tmp_path: Path, value: str | None) -> Path:
    home = tmp_path / "home"
    init_home(home)
    settings = home / "rkc.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "timezone: Europe/Moscow" in text  # what `rkc init` writes
    settings.write_text(text.replace("timezone: Europe/Moscow", "" if value is None else f"timezone: {value}"),
                        encoding="utf-8")  # fmt: skip
    return home


@pytest.mark.parametrize("value", ["Europe/Moscow", "Asia/Novosibirsk", "Asia/Vladivostok", None])
def test_timezone_is_an_iana_zone(tmp_path: Path, value: str | None) -> None:
    config = load_config(_with_timezone(tmp_path, value))
    assert config.timezone == (value or "Europe/Moscow")
    assert isinstance(config.today(), date)


@pytest.mark.parametrize("value", ["MSK+3", "Europe/Nowhere", "../etc/passwd"])
def test_an_unknown_timezone_is_refused_with_the_key(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="timezone must be an IANA zone"):
        load_config(_with_timezone(tmp_path, value))


def test_the_operating_date_follows_the_centers_clock(tmp_path: Path) -> None:
    # At any instant UTC+14 is 26 hours ahead of UTC-12: its date is always one or two days later.
    east = load_config(_with_timezone(tmp_path / "east", "Pacific/Kiritimati")).today()
    west = load_config(_with_timezone(tmp_path / "west", "Etc/GMT+12")).today()
    assert 1 <= (east - west).days <= 2


def test_a_relative_dialect_path_is_relative_to_the_working_directory(tmp_path, monkeypatch) -> None:
    """docs/CONFIG.md: paths are relative to the working directory, not to where the worker runs."""
    from rkc.config import parse_config

    monkeypatch.chdir(tmp_path)
    home = tmp_path / "home"
    data = {"channels": {"kbank": {"format": "text", "dialect": "dialects/kbank.yaml"},
                         "sber": {"format": "text", "dialect": "sber_classic"},
                         "abs": {"format": "text", "dialect": "/srv/rkc/pochta.yaml"}}}  # fmt: skip
    channels = parse_config(data, home).channels
    assert channels["kbank"].dialect == str(home / "dialects" / "kbank.yaml")
    assert channels["sber"].dialect == "sber_classic"  # a shipped name stays a name
    assert channels["abs"].dialect == "/srv/rkc/pochta.yaml"


WORKBENCH_ERRORS = [
    ("workbench: 3", "workbench must be a mapping"),
    ("workbench:\n  informational_tolerance:\n    UNKNOWN_ACCOUNT: '1.00'", "only UNDERPAYMENT, OVERPAYMENT"),
    ("workbench:\n  informational_tolerance:\n    UNDERPAYMENT: 'много'", "informational_tolerance.UNDERPAYMENT"),
    ("workbench:\n  session_minutes: 0", "session_minutes must be a positive integer"),
    ("workbench:\n  login_failures: yes", "login_failures must be a positive integer"),
    ("workbench:\n  secure_cookies: maybe", "secure_cookies must be true or false"),
]


@pytest.mark.parametrize(("text", "message"), WORKBENCH_ERRORS)
def test_workbench_section_errors(tmp_path, text: str, message: str) -> None:
    init_home(tmp_path)
    with (tmp_path / "rkc.yaml").open("a", encoding="utf-8") as f:
        f.write("\n" + text + "\n")
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_workbench_section_read(tmp_path) -> None:
    init_home(tmp_path)
    with (tmp_path / "rkc.yaml").open("a", encoding="utf-8") as f:
        f.write("\nworkbench:\n  informational_tolerance:\n    OVERPAYMENT: '2 500,50'\n  session_minutes: 60\n")
    settings = load_config(tmp_path).workbench
    assert settings.tolerance == {"UNDERPAYMENT": 100, "OVERPAYMENT": 250050}
    assert (settings.session_minutes, settings.login_failures, settings.secure_cookies) == (60, 5, True)
