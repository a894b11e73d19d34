"""Configuration: one YAML file in the working directory, read at run time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from domain.purpose import DEFAULT_PATTERNS, PurposePattern, PurposePatternError, compile_patterns
from parsers.yaml_load import safe_load
from rkc.config_channels import Channel, check_channels, parse_channel
from rkc.config_error import ConfigError
from rkc.config_executor import Executor, parse_executor
from rkc.config_gis import GisExport, parse_gis_export
from rkc.config_transport import (
    Delivery,
    Network,
    TransportConfigError,
    parse_delivery,
    parse_network,
)
from rkc.config_workbench import Workbench, parse_workbench

CONFIG_NAME = "rkc.yaml"


@dataclass(frozen=True)
class PayoutSettings:
    """``payouts:`` of rkc.yaml: the payment orders' numbering and when a missing debit is reported."""

    first_number: int = 1  # the first payment order number rkc gives (the bank client's sequence)
    missing_days: int = 3  # a prepared payout not debited this many days after its date: PAYOUT_MISSING


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
    center_inn: str = ""  # payee of the receipts' QR code (`rkc qr`), payer of the payment orders to suppliers
    center_bank_name: str = ""
    center_corresp_account: str = ""
    intake_workers: int = 2  # files read at once by the nightly run (each parser also uses threads)
    posting_workers: int = 2  # registers posted at once on PostgreSQL (SQLite posts one at a time)
    html_rows: int = 1000  # rows of each discrepancy section in the HTML report (0: all); the XLSX has all
    timezone: str = "Europe/Moscow"  # the center's own clock: it names the operating date
    in_transit_max_age_minutes: int = 60  # a ``.name`` file older than this in an inbox is reported as stuck
    date_tolerance_days: int = 1  # a payment may be dated this many days after the run date
    max_payment_age_days: int = 400  # a payment older than this many days is held (DATE_OUT_OF_RANGE)
    charges_max_text: int = 500  # characters of a billing export's text field; a longer one rejects its line
    signing: str = "key"  # "key": manifests need RKC_SIGNING_KEY; "demo": the public demo key, with a warning
    gis_export: GisExport = field(default_factory=GisExport)  # service types, ГИС channels' organisations
    network: Network = field(default_factory=Network)  # attempts, backoff and timeout of network operations
    delivery: Delivery = field(default_factory=Delivery)  # where supplier statements go (rkc deliver)
    center_kpp: str = ""  # with center_inn: the center as payer of its payment orders
    payouts: PayoutSettings = field(default_factory=PayoutSettings)
    workbench: Workbench = field(default_factory=Workbench)  # cases that close themselves, sessions, logins
    executor: Executor = field(default_factory=Executor)  # where the night's files and registers are worked
    # how ЛС, ИПД, ИЖКУ, ЕЛС, УИП and period are read from payment purposes (domain/purpose.py)
    purpose_patterns: tuple[PurposePattern, ...] = field(default_factory=lambda: compile_patterns(DEFAULT_PATTERNS))

    @property
    def gis_channels(self) -> list[str]:
        """Channels whose payments reach the center through ГИС ЖКХ (format ``gis_xml``)."""
        return sorted(name for name, channel in self.channels.items() if channel.format == "gis_xml")

    @property
    def direct_channel(self) -> str | None:
        """The channel of payers' own п/п (format ``statement``), if one is configured."""
        return next((name for name, channel in self.channels.items() if channel.direct), None)

    @property
    def money_from(self) -> dict[str, str]:
        """ГИС ЖКХ channels without an agent of their own -> the channel whose agent pays their money."""
        return {name: c.money_from for name, c in self.channels.items() if c.money_from}

    @property
    def inbox_channels(self) -> list[str]:
        """The channels whose registers arrive in ``inbox/<name>/`` (all but the one of payers' п/п)."""
        return sorted(name for name, channel in self.channels.items() if not channel.direct)

    def today(self) -> date:
        """The operating date on the center's clock, whatever the worker machine's time zone:
        the 02:30 run of a UTC worker is still on the previous day there."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    @property
    def statements_inbox(self) -> Path:
        """Where bank statements arrive."""
        return self.inbox / "statements"

    @property
    def charges_inbox(self) -> Path:
        """Where billing's export and the suppliers directory are put for the charges-import
        deployment (its default parameters name files here, prefect.yaml)."""
        return self.inbox / "charges"

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
        data = safe_load(path.read_text(encoding="utf-8")) or {}
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
    channel_specs = (data.get("channels") or {}).items()
    channels = {name: parse_channel(name, spec or {}, source, root) for name, spec in channel_specs}
    if not channels:
        raise ConfigError(f"{source}: `channels` is empty; at least one channel is needed")
    check_channels(channels, source)
    workers = {key: data.get(key, default) for key, default in (("intake_workers", 2), ("posting_workers", 2))}
    for key, value in workers.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 2:
            raise ConfigError(f"{source}: {key} must be 1 or 2, got {value!r}")
    html_rows = data.get("report_html_rows", 1000)
    if not isinstance(html_rows, int) or isinstance(html_rows, bool) or html_rows < 0:
        raise ConfigError(f"{source}: report_html_rows must be a whole number ≥ 0, got {html_rows!r}")
    limits = {key: _whole(data, key, default, source) for key, default in LIMITS.items()}
    if limits["charges_max_text"] < 1:
        raise ConfigError(f"{source}: charges_max_text must be a whole number ≥ 1, got {limits['charges_max_text']!r}")
    signing = str(data.get("signing") or "key")
    if signing not in ("key", "demo"):
        raise ConfigError(f"{source}: signing must be `key` (RKC_SIGNING_KEY) or `demo`, got {signing!r}")
    timezone = str(data.get("timezone") or "Europe/Moscow")
    try:
        network = parse_network(data.get("network"), source)
        delivery = parse_delivery(data.get("delivery"), source, root)
    except TransportConfigError as exc:
        raise ConfigError(str(exc)) from exc
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
        center_inn=str(center.get("inn") or ""),
        center_bank_name=str(center.get("bank_name") or ""),
        center_corresp_account=str(center.get("corresp_account") or ""),
        channels=channels,
        intake_workers=workers["intake_workers"],
        posting_workers=workers["posting_workers"],
        html_rows=html_rows,
        timezone=timezone,
        signing=signing,
        gis_export=parse_gis_export(data.get("gis_export"), source, set(channels), ConfigError),
        network=network,
        delivery=delivery,
        center_kpp=str(center.get("kpp") or ""),
        payouts=_payouts(data.get("payouts") or {}, source),
        workbench=parse_workbench(data.get("workbench"), source, ConfigError),
        purpose_patterns=_purpose_patterns(data.get("purpose_patterns"), source),
        executor=parse_executor(data.get("executor"), source, url, ConfigError),
        **limits,
    )


def _purpose_patterns(spec: object, source: str) -> tuple[PurposePattern, ...]:
    """``purpose_patterns``: a list of ``{field, pattern}`` that replaces the defaults; absent: defaults."""
    if spec is None:
        return compile_patterns(DEFAULT_PATTERNS)
    if not isinstance(spec, list) or not all(isinstance(s, dict) and {"field", "pattern"} <= set(s) for s in spec):
        raise ConfigError(f"{source}: purpose_patterns must be a list of {{field: ..., pattern: ...}}")
    try:
        return compile_patterns([{"field": str(s["field"]), "pattern": str(s["pattern"])} for s in spec])
    except PurposePatternError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


def _payouts(spec: object, source: str) -> PayoutSettings:
    """``payouts:``: first_number (≥ 1) and missing_days (≥ 0)."""
    if not isinstance(spec, dict):
        raise ConfigError(f"{source}: payouts must be a mapping, got {spec!r}")
    unknown = set(spec) - {"first_number", "missing_days"}
    if unknown:
        raise ConfigError(f"{source}: payouts: unknown keys {', '.join(sorted(unknown))}")
    first = _whole(spec, "first_number", 1, f"{source}: payouts")
    if first < 1:
        raise ConfigError(f"{source}: payouts.first_number must be a whole number ≥ 1, got {first}")
    return PayoutSettings(first, _whole(spec, "missing_days", 3, f"{source}: payouts"))


LIMITS = {
    "in_transit_max_age_minutes": 60,
    "date_tolerance_days": 1,
    "max_payment_age_days": 400,
    "charges_max_text": 500,
}


def _whole(data: dict[str, Any], key: str, default: int, where: str) -> int:
    """A whole number ≥ 0 under ``key``, or ``default`` when absent."""
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}: {key} must be a whole number ≥ 0, got {value!r}")
    return value


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
                   config.resolutions_inbox, config.charges_inbox):  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
    for channel in config.inbox_channels:
        (config.inbox / channel).mkdir(parents=True, exist_ok=True)
    return config, created
