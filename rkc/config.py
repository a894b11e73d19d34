"""Configuration: one YAML file in the working directory, read at run time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from domain.commission import Tariff
from domain.money import AmountError, parse_amount

CONFIG_NAME = "rkc.yaml"
FORMATS = ("text", "xlsx", "dbf", "gis_xml")


class ConfigError(Exception):
    """The configuration file is missing or wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Channel:
    """A payment channel: its inbox folder, how its files are read, its agent and tariff."""

    name: str
    format: str
    dialect: str | None = None  # text dialect, xlsx or dbf profile
    agent_name: str = ""
    agent_inn: str = ""
    agent_account: str = ""
    tariff: Tariff = field(default_factory=lambda: Tariff(Decimal(0)))
    priority: int = 100


@dataclass(frozen=True)
class Config:
    """Everything a command needs to know about the working directory."""

    home: Path
    database_url: str
    inbox: Path
    archive: Path
    quarantine: Path
    out: Path
    gis_xsd_dir: Path | None
    center_name: str
    center_account: str
    center_bic: str
    channels: dict[str, Channel]
    intake_workers: int = 2  # files read at once by the nightly run (each parser also uses threads)
    posting_workers: int = 2  # registers posted at once on PostgreSQL (SQLite posts one at a time)
    html_rows: int = 1000  # rows of each discrepancy section in the HTML report (0: all); the XLSX has all
    timezone: str = "Europe/Moscow"  # the center's own clock: it names the operating date

    def today(self) -> date:
        """The operating date on the center's clock, whatever the worker machine's time zone:
        the 02:30 run of a UTC worker is still on the previous day there."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    @property
    def statements_inbox(self) -> Path:
        """Where bank statements arrive."""
        return self.inbox / "statements"

    @property
    def resolutions_inbox(self) -> Path:
        """Where accountants drop resolved discrepancy workbooks."""
        return self.inbox / "resolutions"


def default_config_text() -> str:
    """The configuration file `rkc init` writes."""
    # Beside this module; importlib.resources trips over setuptools' editable-install finder here.
    return Path(__file__).with_name("default_config.yaml").read_text(encoding="utf-8")


def resolve_home(home: str | Path | None) -> Path:
    """The working directory: ``--home``, else ``$RKC_HOME``, else the current directory."""
    chosen = home or os.environ.get("RKC_HOME") or "."
    return Path(chosen).expanduser().resolve()


def load_config(home: str | Path | None = None) -> Config:
    """Read ``rkc.yaml`` of the working directory; ``$RKC_DATABASE_URL`` overrides the database."""
    root = resolve_home(home)
    path = root / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(f"{path}: no configuration here; run `rkc init --home {root}` first")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_config(data, root, str(path))


def parse_config(data: dict[str, Any], root: Path, source: str = CONFIG_NAME) -> Config:
    """Build a ``Config`` from parsed YAML, naming the file and key of any mistake."""
    paths = data.get("paths") or {}
    center = data.get("center") or {}
    url = os.environ.get("RKC_DATABASE_URL") or str(data.get("database_url") or "sqlite:///rkc.db")
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and ":memory:" not in url:
        url = f"sqlite:///{(root / url.removeprefix('sqlite:///')).resolve()}"
    xsd = data.get("gis_xsd_dir")
    channels = {name: _channel(name, spec or {}, source) for name, spec in (data.get("channels") or {}).items()}
    if not channels:
        raise ConfigError(f"{source}: `channels` is empty; at least one channel is needed")
    workers = {key: data.get(key, default) for key, default in (("intake_workers", 2), ("posting_workers", 2))}
    for key, value in workers.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 2:
            raise ConfigError(f"{source}: {key} must be 1 or 2, got {value!r}")
    html_rows = data.get("report_html_rows", 1000)
    if not isinstance(html_rows, int) or isinstance(html_rows, bool) or html_rows < 0:
        raise ConfigError(f"{source}: report_html_rows must be a whole number ≥ 0, got {html_rows!r}")
    timezone = str(data.get("timezone") or "Europe/Moscow")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{source}: timezone must be an IANA zone such as Europe/Moscow, got {timezone!r}") from exc
    return Config(
        home=root,
        database_url=url,
        inbox=root / paths.get("inbox", "inbox"),
        archive=root / paths.get("archive", "archive"),
        quarantine=root / paths.get("quarantine", "quarantine"),
        out=root / paths.get("out", "out"),
        gis_xsd_dir=(root / str(xsd)).resolve() if xsd else None,
        center_name=str(center.get("name", "РКЦ")),
        center_account=str(center.get("bank_account", "")),
        center_bic=str(center.get("bic", "")),
        channels=channels,
        intake_workers=workers["intake_workers"],
        posting_workers=workers["posting_workers"],
        html_rows=html_rows,
        timezone=timezone,
    )


def _channel(name: str, spec: dict[str, Any], source: str) -> Channel:
    where = f"{source}: channels.{name}"
    fmt = spec.get("format")
    if fmt not in FORMATS:
        raise ConfigError(f"{where}.format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    agent = spec.get("agent") or {}
    commission = spec.get("commission") or {}
    try:
        percent = Decimal(str(commission.get("percent", "0")))
        minimum = parse_amount(str(commission.get("min") or "0"))
        maximum = parse_amount(str(commission["max"])) if commission.get("max") not in (None, "") else None
        tariff = Tariff(percent, minimum, maximum)
    except (InvalidOperation, AmountError, ValueError) as exc:
        raise ConfigError(f"{where}.commission: {exc}") from exc
    return Channel(
        name=name,
        format=fmt,
        dialect=spec.get("dialect") or spec.get("profile"),
        agent_name=str(agent.get("name", "")),
        agent_inn=str(agent.get("inn", "")),
        agent_account=str(agent.get("account", "")),
        tariff=tariff,
        priority=int(spec.get("priority", 100)),
    )


def init_home(home: str | Path | None) -> tuple[Config, bool]:
    """Create the working directory layout and a default configuration (kept if present).

    Returns the configuration and whether the configuration file was newly written.
    """
    root = resolve_home(home)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root}: a file, not a directory; the working directory must be a directory")
    root.mkdir(parents=True, exist_ok=True)
    path = root / CONFIG_NAME
    created = not path.exists()
    if created:
        path.write_text(default_config_text(), encoding="utf-8")
    config = load_config(root)
    for folder in (config.archive, config.quarantine, config.out, config.statements_inbox,
                   config.resolutions_inbox):  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
    for channel in config.channels:
        (config.inbox / channel).mkdir(parents=True, exist_ok=True)
    return config, created
