"""Intake of one register file: identify, parse, and leave the result as files in the work dir.

Runs once per file and may run in parallel: it only reads the database (has this content been
received before?) and writes nothing there. Its result is a small JSON-able ``Intake`` that
names the Parquet files holding the parsed payments and the rejected lines, so that the flow's
tasks pass paths and ids, never DataFrames.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.accounting import RecordAccount
from domain.methods import MethodMap, UnknownMethod, merge_unknown, resolve_methods
from domain.records import DeclaredTotals
from domain.statuses import IntakeStatus, RegisterStatus
from parsers.base import BadFile, RegisterParser, file_sha256, read_head
from parsers.census import count_records
from parsers.registry import build_parser
from rkc.config import Config
from rkc.workfiles import NightStore, PaymentFileWriter, write_errors
from sql.acceptances import accepted_waiting
from sql.registers import register_outcome

PARSED, BAD_FILE, DUPLICATE_FILE, RECOVERED = (IntakeStatus.PARSED, IntakeStatus.BAD_FILE, IntakeStatus.DUPLICATE_FILE,
                                               IntakeStatus.RECOVERED)  # fmt: skip


@dataclass(frozen=True)
class Intake:
    """What intake made of one file (JSON-able: it travels between flow tasks)."""

    path: str
    channel: str
    sha256: str
    status: str  # parsed | bad_file | duplicate_file | recovered
    format: str = ""
    reason: str = ""
    payments_path: str | None = None
    errors_path: str | None = None
    declared: dict = field(default_factory=dict)
    lines: int = 0  # payments + rejected records
    records: int = 0  # the file's records, counted by ``parsers.census`` (0: not read)
    non_payments: dict = field(default_factory=dict)  # declared non-payment records by ``RecordKind``
    known_register_id: int | None = None  # the stored register of this content (for a BAD_FILE read again: its row)
    copy_of: str = ""  # a same-night copy: the path of the file of that content that was read
    beside_refused: bool = False  # a same-night copy of a file refused as unreadable: quarantined beside it
    totals_path: str = ""  # a separate totals file paired with this register (rkc.intake_totals), filed beside it
    totals_sha256: str = ""
    totals_error: str = ""  # why that totals file gives no usable totals (Russian): the register is quarantined
    # a register that is no file of an inbox (the payers' п/п of a bank statement, rkc/direct.py):
    # where its source is filed already; posting moves nothing and records this path
    source_filed: str = ""
    # method values the channel does not know: [raw, payments, kopecks, taken as] (domain.methods.UnknownMethod)
    unknown_methods: list = field(default_factory=list)
    accepted: str = ""  # a quarantined register accepted in the workbench, read again: the acceptance's note

    @property
    def non_payment_lines(self) -> int:
        """Declared non-payment records of every kind."""
        return sum(self.non_payments.values())

    @property
    def name(self) -> str:
        """The file's name."""
        return Path(self.path).name

    def declared_totals(self) -> DeclaredTotals | None:
        """The register's declared control totals, if the format has them."""
        if not self.declared:
            return None
        values = dict(self.declared)
        if values.get("payment_order_date"):
            values["payment_order_date"] = date.fromisoformat(values["payment_order_date"])
        return DeclaredTotals(**values)

    def to_dict(self) -> dict:
        """Plain dict for passing between tasks."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Intake:
        """Inverse of ``to_dict``."""
        return cls(**data)


def declared_as_dict(declared: DeclaredTotals) -> dict:
    """Declared totals as ``Intake.declared`` carries them (JSON-able: the date as ISO text)."""
    out = asdict(declared)
    if declared.payment_order_date is not None:
        out["payment_order_date"] = declared.payment_order_date.isoformat()
    return out


def collect_inbox(config: Config) -> list[tuple[str, Path]]:
    """New registers in each channel's inbox as (channel, path), in a stable order: regular files
    only, not in transit, not waiting for their totals file (``rkc.inbox.scan_inbox``)."""
    from rkc.inbox import scan_inbox

    return scan_inbox(config).registers


def set_copies_aside(files: list[tuple[str, Path]]) -> tuple[list[tuple[str, Path]], list[Intake]]:
    """The files to read, and the byte-identical copies of an earlier file of the same night (in
    inbox order) as duplicate files, not read: an agent that sends a register twice must not have
    it decided and posted twice. Only files of a size another file shares are hashed here."""
    sizes = [path.stat().st_size for _, path in files]
    shared = {size for size, n in Counter(sizes).items() if n > 1}
    first_of: dict[str, Path] = {}
    to_read, copies = [], []
    for (channel, path), size in zip(files, sizes, strict=True):
        if size not in shared:
            to_read.append((channel, path))
            continue
        sha = file_sha256(path)
        if sha in first_of:
            reason = f"тот же файл, что и {first_of[sha].parent.name}/{first_of[sha].name}, получен в эту же ночь"
            copies.append(Intake(str(path), channel, sha, DUPLICATE_FILE, reason=reason, copy_of=str(first_of[sha])))
        else:
            first_of[sha] = path
            to_read.append((channel, path))
    return to_read, copies


def copies_of_refused(copies: list[Intake], read: dict[str, Intake]) -> list[Intake]:
    """Copies whose read file was refused as unreadable go to quarantine beside it, not to the
    archive: the same bytes in two channels' inboxes may have been read by the wrong channel, and
    put back into the right inbox the copy is read (a refused file is read again)."""
    out = []
    for copy in copies:
        original = read[copy.copy_of]
        if original.status == BAD_FILE:
            reason = (f"{copy.reason}; тот файл не прочитан ({original.reason}); если файл из этого канала, "
                      f"положите его снова в inbox/{copy.channel}/")  # fmt: skip
            copy = replace(copy, reason=reason, beside_refused=True)
        out.append(copy)
    return out


def take_in(config: Config, engine: Engine, channel: str, path: Path, work_dir: Path) -> Intake:
    """Read one file of ``channel`` into ``work_dir``; never raises on bad data (BAD_FILE instead)."""
    sha = file_sha256(path)
    with engine.connect() as conn:
        known = register_outcome(conn, sha)
        acceptance = accepted_waiting(conn, known["register_id"]) if known is not None else None
    reread_of, accepted = None, ""
    if known is not None:
        register_id, status, stored = known["register_id"], known["status"], known["stored_path"]
        if status == RegisterStatus.BAD_FILE:
            # A file refused as unreadable, sent again (to the right inbox, or after its channel's
            # format was fixed): read again, and its register row taken over, not refused as received.
            reread_of = register_id
        elif status == RegisterStatus.QUARANTINED and acceptance is not None:
            # Totals that do not tie, accepted by a senior accountant (rkc.accepted_registers): read
            # again, its lines posted as they are, its register row taken over.
            reread_of, accepted = register_id, acceptance["note"]
        elif not stored and status != RegisterStatus.DUPLICATE:
            # Committed, never filed away (the run died in between): finished, not a duplicate.
            return Intake(str(path), channel, sha, RECOVERED, known_register_id=register_id)
        else:
            return Intake(str(path), channel, sha, DUPLICATE_FILE, known_register_id=register_id)
    spec = config.channels[channel]
    parser = build_parser(spec.format, spec.dialect, config.gis_xsd_dir, spec.method.fields)
    store = NightStore(work_dir).ensure()
    payments_path, errors_path = store.payments(sha), store.errors(sha)
    try:
        if not parser.identify(path, read_head(path)):
            raise BadFile(path, _not_identified(parser, path, channel))
        rows, errors, declared, non_payments, unknown = _parse_to(parser, path, payments_path, spec.method.map)
        account = RecordAccount(count_records(path), rows, non_payments, len(errors))
        if not account.balanced:
            logging.getLogger("rkc.intake").error(
                "%s: record accounting does not balance (%s records; %s payments, %s non-payment %s, %s rejected): "
                "a parser bug, the register is stopped", path, account.records, rows, account.non_payment_lines,
                dict(non_payments), len(errors))  # fmt: skip
            raise BadFile(path, account.reason)
    except BadFile as exc:
        payments_path.unlink(missing_ok=True)  # a bad file is quarantined whole: drop what was read
        return Intake(str(path), channel, sha, BAD_FILE, parser.name, reason=exc.reason, known_register_id=reread_of)
    write_errors(errors, errors_path)
    if accepted and declared is not None:  # the footer's sums were judged wrong: what stands is the lines
        declared = replace(declared, count=None, amount=None, transfer=None, commission=None)
    declared_dict = declared_as_dict(declared) if declared is not None else {}
    return Intake(
        str(path), channel, sha, PARSED, parser.name, payments_path=str(payments_path),
        errors_path=str(errors_path), declared=declared_dict, lines=rows + len(errors), records=account.records,
        non_payments=dict(non_payments), known_register_id=reread_of, accepted=accepted,
        unknown_methods=[[u.raw, u.count, u.amount, u.taken_as.value] for u in unknown],
    )  # fmt: skip


def _not_identified(parser: RegisterParser, path: Path, channel: str) -> str:
    """Why the channel's parser does not take the file: its own diagnosis (what it looked for, what
    it found closest) where it has one, always with the parser and the channel named."""
    reason = f"not a {parser.name} register (the format configured for channel {channel})"
    explain = getattr(parser, "explain", None)
    detail = explain(path) if callable(explain) else ""
    return f"{reason}: {detail}" if detail else reason


def _parse_to(
    parser: RegisterParser, path: Path, payments_path: Path, methods: MethodMap
) -> tuple[int, list[tuple[int, str, str, int | None]], DeclaredTotals | None, Counter[str], tuple[UnknownMethod, ...]]:
    """Stream the parser's chunks into ``payments_path``, each payment with its method read by the
    channel's ``methods``; return the payment count, the rejected lines, the declared totals, the
    non-payment records by kind and the method values the channel does not know. One chunk in
    memory at a time."""
    errors: list[tuple[int, str, str, int | None]] = []
    declared = None
    non_payments: Counter[str] = Counter()
    unknown: list[UnknownMethod] = []
    with PaymentFileWriter(payments_path) as writer:
        for chunk in parser.parse(path):
            payments = chunk.payments
            found = resolve_methods(payments["method_raw"], methods, has_qr=payments["qr"].notna().to_numpy(),
                                    amounts=payments["amount"].to_numpy())  # fmt: skip
            unknown += found.unknown
            writer.write(payments.assign(method=pd.Series(found.methods, index=payments.index, dtype=object)))
            errors += [(e.line_no, e.reason, e.raw, e.amount) for e in chunk.errors]
            non_payments.update(chunk.non_payments)
            if chunk.declared is not None:
                declared = chunk.declared
    return writer.rows, errors, declared, non_payments, merge_unknown(unknown)


# What reading a byte costs, by the channel's format, relative to a text register's (CPU of the
# 1M night's files read alone, docs/PERFORMANCE.md «Session 16»): a workbook is unzipped and its XML
# read cell by cell (8.7 MB: 5.7 s), the ГИС ЖКХ XML is mostly markup read in two threads (287 MB:
# 9.2 s), a text register ~0.1 s a MB.
READ_COST_PER_BYTE = {"xlsx": 6.0, "gis_xml": 0.3}


def costliest_first(files: list[tuple[str, Path]], formats: dict[str, str]) -> list[int]:
    """Positions of ``files`` (channel, path) in the order to read them: the costliest first, its
    size weighed by its channel's format (``formats``: channel -> format), so that the last file to
    finish is a short one (by bytes alone the workbook came fifth and ran on after the others)."""

    def cost(i: int) -> float:
        channel, path = files[i]
        return path.stat().st_size * READ_COST_PER_BYTE.get(formats.get(channel, ""), 1.0)

    return sorted(range(len(files)), key=lambda i: -cost(i))
