"""Configuration: one YAML file in the working directory, read at run time."""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from domain.commission import Tariff
from domain.money import AmountError, parse_amount
from domain.purpose import DEFAULT_PATTERNS, PurposePattern, PurposePatternError, compile_patterns
from rkc.config_gis import GisExport, parse_gis_export
from rkc.config_transport import (
    Delivery,
    Network,
    Source,
    TransportConfigError,
    parse_delivery,
    parse_network,
    parse_source,
)
from rkc.config_workbench import Workbench, parse_workbench

CONFIG_NAME = "rkc.yaml"
FORMATS = ("text", "xlsx", "dbf", "gis_xml")


class ConfigError(Exception):
    """The configuration file is missing or wrong; the message names the file and the key."""


@dataclass(frozen=True)
class TotalsFileSpec:
    """A separate control-totals file that arrives beside a channel's register (``NNNNN.K01`` beside
    ``NNNNN.001``): its name pattern, the register name it belongs to, how long a register waits for
    it, and the regular expression that reads its count and amount."""

    pattern: re.Pattern[str]  # the totals file's whole name; its named groups fill ``register``
    register: str  # the register's name, e.g. ``{stem}.001``
    wait_minutes: int = 120
    content: re.Pattern[str] = re.compile(r"(?P<count>\d+)\s*[;|]\s*(?P<amount>\d[\d \u00a0]*(?:[.,]\d{1,2})?)")
    encoding: str = "cp1251"

    def register_name(self, totals_name: str) -> str | None:
        """The name of the register a file of this name gives the totals of, or None when the
        name is not a totals file's."""
        match = self.pattern.fullmatch(totals_name)
        return self.register.format(**match.groupdict()) if match else None


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
    unverified: bool = False  # a register without control totals is accepted (UNVERIFIED_REGISTER), else quarantined
    totals_file: TotalsFileSpec | None = None
    # the bank's service code -> the center's service name (the charges' ``service``); empty: the
    # bank writes the service names themselves (domain/servicecodes.py)
    service_codes: dict[str, str] = field(default_factory=dict)
    source: Source | None = None  # where ``rkc collect`` fetches its files from (rkc/config_transport.py)


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
    # how ЛС, ИПД, ИЖКУ, ЕЛС, УИП and period are read from payment purposes (domain/purpose.py)
    purpose_patterns: tuple[PurposePattern, ...] = field(default_factory=lambda: compile_patterns(DEFAULT_PATTERNS))

    @property
    def gis_channels(self) -> list[str]:
        """Channels whose payments reach the center through ГИС ЖКХ (format ``gis_xml``)."""
        return sorted(name for name, channel in self.channels.items() if channel.format == "gis_xml")

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
    channels = {name: _channel(name, spec or {}, source, root) for name, spec in (data.get("channels") or {}).items()}
    if not channels:
        raise ConfigError(f"{source}: `channels` is empty; at least one channel is needed")
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


def _dialect(value: object, root: Path) -> str | None:
    """A shipped dialect's name as it is; a file's path relative to the working directory made absolute
    (the worker may run anywhere)."""
    if not value:
        return None
    text = str(value)
    if "/" in text or text.endswith((".yaml", ".yml")):
        path = Path(text).expanduser()
        return str(path if path.is_absolute() else (root / path).resolve())
    return text


def _channel(name: str, spec: dict[str, Any], source: str, root: Path) -> Channel:
    where = f"{source}: channels.{name}"
    fmt = spec.get("format")
    if fmt not in FORMATS:
        raise ConfigError(f"{where}.format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    agent = spec.get("agent") or {}
    commission = spec.get("commission") or {}
    try:
        source_spec = parse_source(spec.get("source"), where, root)
    except TransportConfigError as exc:
        raise ConfigError(str(exc)) from exc
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
        dialect=_dialect(spec.get("dialect") or spec.get("profile"), root),
        agent_name=str(agent.get("name", "")),
        agent_inn=str(agent.get("inn", "")),
        agent_account=str(agent.get("account", "")),
        tariff=tariff,
        priority=int(spec.get("priority", 100)),
        unverified=_unverified(spec.get("unverified", "refuse"), where),
        totals_file=_totals_file(spec.get("totals_file"), where) if spec.get("totals_file") else None,
        service_codes=_service_codes(spec.get("service_codes"), where),
        source=source_spec,
    )


def _unverified(value: object, where: str) -> bool:
    if value not in ("allow", "refuse"):
        raise ConfigError(f"{where}.unverified must be allow or refuse, got {value!r}")
    return value == "allow"


def _service_codes(spec: object, where: str) -> dict[str, str]:
    """``channels.<name>.service_codes``: bank code -> service name, both non-empty text.

    A code must be written as text (quoted when it is a number): YAML reads ``01`` and ``1`` alike
    as the number 1, and the leading zeros of a bank's code are part of it.
    """
    where = f"{where}.service_codes"
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise ConfigError(f"{where} must be a mapping of the bank's service code to a service name, got {spec!r}")
    out = {}
    for code, name in spec.items():
        if not isinstance(code, str):
            raise ConfigError(f"{where}: code {code!r} must be quoted text, e.g. \"{code}\": <service name>")
        if not code.strip() or code != code.strip():
            raise ConfigError(f"{where}: code {code!r} must be non-empty text without surrounding spaces")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}.{code} must be the service name as in the charges' service column, "
                              f"got {name!r}")  # fmt: skip
        out[code] = name.strip()
    return out


def _totals_file(spec: object, where: str) -> TotalsFileSpec:
    """``channels.<name>.totals_file``: pattern, register, wait_minutes, content, encoding."""
    where = f"{where}.totals_file"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where} must be a mapping with pattern and register, got {spec!r}")
    unknown = set(spec) - {"pattern", "register", "wait_minutes", "content", "encoding"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    compiled = {}
    for key in ("pattern", "content"):
        if key not in spec and key == "content":
            continue
        try:
            compiled[key] = re.compile(str(spec[key]))
        except KeyError as exc:
            raise ConfigError(f"{where}.{key} is required") from exc
        except re.error as exc:
            raise ConfigError(f"{where}.{key}: not a regular expression: {exc}") from exc
    register = str(spec.get("register") or "")
    fields = {f for _, f, _, _ in string.Formatter().parse(register) if f}
    if not register or not fields <= set(compiled["pattern"].groupindex):
        raise ConfigError(f"{where}.register must name the register by the pattern's named groups "
                          f"({', '.join(compiled['pattern'].groupindex) or 'none'}), got {register!r}")  # fmt: skip
    if "content" in compiled and not {"count", "amount"} & set(compiled["content"].groupindex):
        raise ConfigError(f"{where}.content needs a named group count or amount")
    wait = spec.get("wait_minutes", 120)
    if not isinstance(wait, int) or isinstance(wait, bool) or wait < 0:
        raise ConfigError(f"{where}.wait_minutes must be a whole number ≥ 0, got {wait!r}")
    encoding = str(spec.get("encoding") or "cp1251")
    try:
        "".encode(encoding)
    except LookupError as exc:
        raise ConfigError(f"{where}.encoding: unknown encoding {encoding!r}") from exc
    return TotalsFileSpec(compiled["pattern"], register, wait, encoding=encoding,
                          **({"content": compiled["content"]} if "content" in compiled else {}))  # fmt: skip


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
    for channel in config.channels:
        (config.inbox / channel).mkdir(parents=True, exist_ok=True)
    return config, created
