"""``channels:`` of rkc.yaml: how each channel's files are read, its agent, tariff, control totals,
service codes and where its files are collected from."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from domain.commission import Tariff
from domain.methods import MethodMap
from domain.money import AmountError, parse_amount
from rkc.config_error import ConfigError
from rkc.config_methods import MethodConfig, default_method, parse_methods
from rkc.config_transport import Source, TransportConfigError, parse_source

FORMATS = ("text", "xlsx", "dbf", "gis_xml", "statement")
# The format of the channel of payers' own п/п (docs/RULES.md, "Direct payments"): no inbox, no
# agent; its payments are the incoming documents of the center's bank statements.
STATEMENT = "statement"
DIRECT_NAME = "Прямые платежи (п/п плательщиков)"


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
    # a ГИС ЖКХ channel without an agent of its own: the channel whose agent's п/п carries its money
    # (docs/RULES.md, "Whose money a ГИС ЖКХ notification is"); None: its own agent pays
    money_from: str | None = None
    # how its registers say how the payer paid, and where a QR payload is (rkc/config_methods.py)
    methods: MethodConfig | None = None

    @property
    def direct(self) -> bool:
        """Whether this is the channel of payers' own п/п (format ``statement``): it has no inbox."""
        return self.format == STATEMENT

    @property
    def method(self) -> MethodConfig:
        """The channel's reading of payment methods (its format's default when it configures none)."""
        return self.methods or MethodConfig(MethodMap(default_method(self.format)))


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


def parse_channel(name: str, spec: dict[str, Any], source: str, root: Path) -> Channel:
    """One ``channels.<name>`` entry; ``ConfigError`` naming the key when it is wrong."""
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
    money_from = _money_from(spec, agent, fmt, where)
    if fmt == STATEMENT:
        _direct_spec(spec, agent, source_spec, where)
    methods = parse_methods(spec.get("method"), spec.get("qr"), fmt, where)
    dialect = _dialect(spec.get("dialect") or spec.get("profile"), root)
    if methods.fields:
        _check_fields(fmt, dialect, methods, where)
    return Channel(
        name=name,
        format=fmt,
        dialect=dialect,
        agent_name=str(agent.get("name", "") or (DIRECT_NAME if fmt == STATEMENT else "")),
        agent_inn=str(agent.get("inn", "")),
        agent_account=str(agent.get("account", "")),
        tariff=tariff,
        priority=int(spec.get("priority", 100)),
        unverified=_unverified(spec.get("unverified", "refuse"), where),
        totals_file=_totals_file(spec.get("totals_file"), where) if spec.get("totals_file") else None,
        service_codes=_service_codes(spec.get("service_codes"), where),
        source=source_spec,
        money_from=money_from,
        methods=methods,
    )


def _money_from(spec: dict[str, Any], agent: dict, fmt: str, where: str) -> str | None:
    """``channels.<name>.money_from``: a ГИС ЖКХ channel whose money comes with another channel's
    agent names that channel and has no agent of its own (``check_channels`` checks the name)."""
    value = spec.get("money_from")
    if value is None:
        return None
    if fmt != "gis_xml":
        raise ConfigError(f"{where}.money_from is for ГИС ЖКХ channels (format gis_xml), not {fmt}")
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.money_from must name the channel whose agent pays its money, got {value!r}")
    if agent.get("inn") or agent.get("account"):
        raise ConfigError(f"{where}: a channel with money_from has no agent of its own (its money comes with "
                          f"{value}'s п/п); remove agent.inn and agent.account")  # fmt: skip
    return value


def _direct_spec(spec: dict[str, Any], agent: dict, source: Source | None, where: str) -> None:
    """The channel of payers' own п/п reads no files: no inbox source, dialect or totals; no agent."""
    if agent.get("inn") or agent.get("account"):
        raise ConfigError(f"{where}: the channel of payers' п/п (format statement) has no agent; its payers are "
                          "whoever is not a configured agent")  # fmt: skip
    for key in ("dialect", "profile", "totals_file", "service_codes"):
        if spec.get(key):
            raise ConfigError(f"{where}.{key}: the channel of payers' п/п (format statement) reads no files")
    if source is not None:
        raise ConfigError(f"{where}.source: the channel of payers' п/п (format statement) has no inbox; its "
                          "payments come with the bank statements (inbox/statements/)")  # fmt: skip


def check_channels(channels: dict[str, Channel], source: str) -> None:
    """What one channel alone cannot tell: at most one channel of payers' п/п, and each ``money_from``
    names another channel that has an agent to pay."""
    direct = [c.name for c in channels.values() if c.direct]
    if len(direct) > 1:
        raise ConfigError(f"{source}: channels {', '.join(direct)} all read payers' п/п (format statement); "
                          "keep one")  # fmt: skip
    for channel in channels.values():
        if channel.money_from is None:
            continue
        bank = channels.get(channel.money_from)
        where = f"{source}: channels.{channel.name}.money_from"
        if bank is None or bank.name == channel.name:
            raise ConfigError(f"{where}: {channel.money_from!r} is not another configured channel")
        if not (bank.agent_inn or bank.agent_account) or bank.money_from:
            raise ConfigError(f"{where}: channel {bank.name} has no agent of its own to pay the money")


def _check_fields(fmt: str, dialect: str | None, methods: MethodConfig, where: str) -> None:
    """Build the channel's parser once with the fields it names, so a wrong one is refused here, not
    in the middle of a night."""
    from parsers.registry import build_parser

    try:
        build_parser(fmt, dialect, None, methods.fields)
    except ValueError as exc:  # DialectError, ProfileError: the file and the key named
        raise ConfigError(f"{where}: {exc}") from exc


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


def channel_priority(channels: dict[str, Channel]) -> list[str]:
    """The channels most trusted first, for a payment seen through two (DUPLICATE_CROSS_CHANNEL):
    by ``priority``, then name; a ГИС ЖКХ channel whose money comes with a bank's п/п never before
    that bank's channel, so that the copy kept is the one whose money the bank's register carries
    (docs/RULES.md)."""
    def rank(c: Channel) -> tuple[int, int, str]:
        bank = channels.get(c.money_from or "")
        return (max(c.priority, bank.priority), 1, c.name) if bank is not None else (c.priority, 0, c.name)

    return [c.name for c in sorted(channels.values(), key=rank)]
