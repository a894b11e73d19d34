"""``rkc ledger verify``: the whole chain and every signed manifest, in one pass of findings.

The chain is read a slice of entries at a time (their legs and payments with them) and checked by
``domain.chain_check``; then every manifest's signature, the chain head it signed, and the files
it lists (an output only against the newest manifest that lists it: a rerun rewrites its report).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Engine

from domain.chain import BatchLink
from domain.chain_check import ChainCheck, Finding, Problem
from domain.manifest import SigningKey, canonical, signature_valid, superseded_inputs, superseded_outputs
from rkc.config import Config
from rkc.manifest import file_sha256, verification_keys
from sql.chain import entry_id_range, links, read_slice, slices, unposted_payments
from sql.manifests import StoredManifest, manifest_count, manifest_ids_page, manifests, manifests_since

SLICE_ENTRIES = 500_000  # entries read at a time, and one slice ahead: bounds memory (legs come with them)


@dataclass(frozen=True)
class Verification:
    """What ``rkc ledger verify`` found and covered."""

    findings: list[Finding]
    counted: dict[str, int]
    entries: int
    legs: int
    batches: int
    manifests: int
    files: int
    demo_manifests: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No finding but the demo key's (which is a warning)."""
        return all(f.problem == Problem.DEMO_KEY for f in self.findings)


def verify(config: Config, engine: Engine, since: date | None = None, until: date | None = None) -> Verification:
    """Verify the whole chain, and the manifests of runs dated in [since, until] (all without)."""
    check = ChainCheck()
    for entries, legs in _read_ahead(engine):
        check.add_slice(entries, legs)
    with engine.connect() as conn:
        stored_links = links(conn)
        for payment_id in unposted_payments(conn):
            check.note(Problem.PAYMENT_UNPOSTED, f"payment {payment_id}", "stored, but no ledger entry names it")
        chain = [
            BatchLink(int(r.seq), r.batch, r.prev, int(r.entries), int(r.legs), int(r.first_entry),
                      int(r.last_entry), r.head)
            for r in stored_links.itertuples()
        ]  # fmt: skip
        check.finish(chain, stored_links["hash"].tolist())
        recorded = manifests(conn, since, until)
    link_hashes = dict(zip(stored_links["seq"].astype(int), stored_links["hash"], strict=True))
    files, demo = _check_manifests(config, recorded, verification_keys(config), link_hashes, check)
    return Verification(check.findings, {p.value: n for p, n in check.counted.items()}, check.entries, check.legs,
                        len(chain), len(recorded), files, demo)  # fmt: skip


def manifest_page(
    config: Config, engine: Engine, page: int, size: int
) -> tuple[list[tuple[StoredManifest, list[Finding]]], int]:
    """One page of the run history, newest first: each manifest with what verifying it found (its
    signature, the chain head it signed, its files), and how many manifests there are. The
    manifests newer than the page are checked with it: a rerun's outputs supersede the run before."""
    with engine.connect() as conn:
        total = manifest_count(conn)
        ids = manifest_ids_page(conn, (page - 1) * size, size)
        if not ids:
            return [], total
        recorded = manifests_since(conn, min(ids))
        stored_links = links(conn)
    link_hashes = dict(zip(stored_links["seq"].astype(int), stored_links["hash"], strict=True))
    check = ChainCheck()
    _check_manifests(config, recorded, verification_keys(config), link_hashes, check)
    shown = sorted((m for m in recorded if m.id in set(ids)), key=lambda m: -m.id)
    about = lambda m, f: f.subject == f"manifest {m.path}" or f"manifest {m.path}" in f.detail  # noqa: E731
    return [(m, [f for f in check.findings if about(m, f)]) for m in shown], total


def _read_ahead(engine: Engine) -> Iterator[tuple[pa.Table, pa.Table]]:
    """The ledger's slices in id order, the next one read (by its own connection, in a thread)
    while the caller checks this one: the server and the check overlap."""
    with engine.connect() as conn, ThreadPoolExecutor(max_workers=1) as pool:
        lo, hi = entry_id_range(conn)
        ranges = list(slices(lo, hi, SLICE_ENTRIES))
        pending = pool.submit(read_slice, conn, *ranges[0]) if ranges else None
        for index in range(len(ranges)):
            ready = pending.result()  # type: ignore[union-attr]
            pending = pool.submit(read_slice, conn, *ranges[index + 1]) if index + 1 < len(ranges) else None
            yield ready


def _check_manifests(
    config: Config, recorded: list[StoredManifest], keys: list[SigningKey], link_hashes: dict[int, str],
    check: ChainCheck,
) -> tuple[int, int]:  # fmt: skip
    """Signature, chain head and files of each manifest; returns the files checked and the demo manifests."""
    by_id = {k.key_id: k for k in keys}
    bodies = [json.loads(m.body) for m in recorded]
    newest = superseded_outputs(bodies)
    newest_input = superseded_inputs(bodies)
    # a rerun of a night writes its manifest over the last one's file: the newest holds the path
    newest_at = {m.path: index for index, m in enumerate(recorded)}
    files = demo = 0
    for index, (stored, body) in enumerate(zip(recorded, bodies, strict=True)):
        subject = f"manifest {stored.path}"
        key = by_id.get(stored.key_id)
        if key is None:
            check.note(Problem.MANIFEST_SIGNATURE, subject, f"signed with key {stored.key_id}, which is not configured")
            continue
        if not signature_valid(stored.body, stored.signature, key):
            check.note(Problem.MANIFEST_SIGNATURE, subject, "the signature does not verify: edited or re-signed")
            continue
        if key.demo:
            demo += 1
            check.note(Problem.DEMO_KEY, subject, "signed with the public demo key: proves nothing")
        chain = body.get("chain") or {}
        if chain.get("seq") and link_hashes.get(int(chain["seq"])) != chain.get("hash"):
            where = f"batch #{chain['seq']}"
            check.note(Problem.MANIFEST_CHAIN, subject, f"the chain head it signed ({where}) is not in the chain")
        if newest_at[stored.path] == index:
            _check_manifest_file(config, stored, check)
        for item in body.get("outputs", []):
            if newest.get(item["path"]) == index:
                files += 1
                _check_file(config, item["path"], item["sha256"], subject, check)
        for item in body.get("inputs", []):
            if item.get("stored") and newest_input.get(item["sha256"]) == index:
                files += 1
                _check_file(config, item["stored"], item["sha256"], subject, check)
    return files, demo


def _check_manifest_file(config: Config, stored: StoredManifest, check: ChainCheck) -> None:
    """The manifest file on disk must hold the body recorded in the database (the database keeps
    every manifest; the file at a path is the newest's)."""
    path = _at(config, stored.path)
    subject = f"manifest {stored.path}"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        check.note(Problem.MANIFEST_FILE, subject, "the file is gone (the database keeps the signed copy)")
        return
    except (OSError, ValueError) as exc:
        check.note(Problem.MANIFEST_FILE, subject, f"unreadable: {exc}")
        return
    if canonical(document.get("body", {})) != stored.body or document.get("signature") != stored.signature:
        check.note(Problem.MANIFEST_FILE, subject, "differs from the manifest recorded when the run signed it")


def _check_file(config: Config, where: str, sha256: str, subject: str, check: ChainCheck) -> None:
    """A listed file must still have the sha256 its manifest signed."""
    path = _at(config, where)
    if not path.is_file():
        check.note(Problem.FILE_MISSING, where, f"listed in {subject}, not found")
    elif file_sha256(path) != sha256:
        check.note(Problem.FILE_CHANGED, where, f"its sha256 differs from the one signed in {subject}")


def _at(config: Config, where: str) -> Path:
    """A manifest's path made absolute (relative ones are to the working directory)."""
    path = Path(where)
    return path if path.is_absolute() else config.home / path
