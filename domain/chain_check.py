"""Checking the ledger's chains (``domain.chain``) from what is stored, one slice of entries at a time.

Findings are values collected in one pass. Each entry is recomputed from its stored content and
the stored hash before it in its batch, so a finding names the entry that changed (or the entry
after one deleted or slipped in); each batch's count, legs, id range and last hash are held
against its link, and each link against the link before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.chain import (
    GENESIS,
    BatchLink,
    batch_hash,
    batch_runs,
    entry_contents,
    leg_offsets,
    legs_part,
    mismatched_hashes,
    payment_part,
)

MAX_LISTED = 20  # findings listed per kind; the rest are counted


class Problem(StrEnum):
    """What a verification can find."""

    ENTRY_CHANGED = "entry_changed"  # its content or the entry before it is not what was hashed
    ENTRY_UNHASHED = "entry_unhashed"  # no hash at all
    ENTRY_UNSEALED = "entry_unsealed"  # its batch was never linked into the chain
    ORPHAN_LEGS = "orphan_legs"  # legs of an entry that is not stored
    BATCH_CHANGED = "batch_changed"  # a batch's entries, legs, ids or last hash differ from its link
    LINK_BROKEN = "link_broken"  # a link does not name the link before it, or its own hash is wrong
    PAYMENT_UNPOSTED = "payment_unposted"  # a stored payment no entry names
    MANIFEST_SIGNATURE = "manifest_signature"
    MANIFEST_CHAIN = "manifest_chain"  # the chain head a manifest signed is not in the chain
    MANIFEST_FILE = "manifest_file"  # the manifest's file differs from the recorded one, or is gone
    FILE_CHANGED = "file_changed"  # an input or output differs from the sha256 its manifest signed
    FILE_MISSING = "file_missing"
    DEMO_KEY = "demo_key"  # signed with the public demo key: proves nothing


@dataclass(frozen=True)
class Finding:
    """One thing verification found, as a value."""

    problem: Problem
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.problem.value}: {self.subject}: {self.detail}"


@dataclass
class _BatchSeen:
    entries: int = 0
    legs: int = 0
    first: int = 0
    last: int = 0


@dataclass
class ChainCheck:
    """Accumulates what slices of entries show; ``finish`` holds them against the batch links."""

    heads: dict[str, str] = field(default_factory=dict)
    seen: dict[str, _BatchSeen] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    counted: dict[Problem, int] = field(default_factory=dict)
    entries: int = 0
    legs: int = 0

    def note(self, problem: Problem, subject: str, detail: str) -> None:
        """Count a finding; list the first ``MAX_LISTED`` of each kind."""
        self.counted[problem] = self.counted.get(problem, 0) + 1
        if self.counted[problem] <= MAX_LISTED:
            self.findings.append(Finding(problem, subject, detail))

    def add_slice(self, entries: pa.Table, legs: pa.Table) -> None:
        """Check a slice: ``entries`` in id order with their payments' fields and stored ``hash``
        (``sql.chain.read_slice``), ``legs`` of the same id range sorted by entry and leg."""
        ids = entries["id"].to_numpy()
        mine = pc.is_in(legs["entry_id"], entries["id"])
        if not pc.all(mine).as_py():
            orphans = pd.Series(legs.filter(pc.invert(mine))["entry_id"].to_numpy()).value_counts().sort_index()
            for entry_id, count in orphans.items():
                self.note(Problem.ORPHAN_LEGS, f"entry {entry_id}", f"{count} legs of an entry that is not stored")
            legs = legs.filter(mine)
        self.entries += len(entries)
        self.legs += len(legs)
        if not len(entries):
            return
        leg_ids = legs["entry_id"].to_numpy()
        contents = entry_contents(entries, payment_part(entries), legs_part(legs, leg_offsets(ids, leg_ids)))
        for position in mismatched_hashes(entries["batch"], contents, entries["hash"], self.heads):
            if entries["hash"][position].as_py() is None:
                self.note(Problem.ENTRY_UNHASHED, f"entry {ids[position]}", "no hash: written outside rkc's posting")
            else:
                missing = bool(entries["missing"][position].as_py())
                why = "names a payment that is not stored" if missing else "its content or the entry before it changed"
                self.note(Problem.ENTRY_CHANGED, f"entry {ids[position]}", f"hash does not match: {why}")
        # per run of one batch (a register's entries are one run), not per entry
        legs_before = leg_offsets(ids, leg_ids)
        for batch, start, end in batch_runs(entries["batch"]):
            seen = self.seen.setdefault(batch, _BatchSeen(first=int(ids[start])))
            seen.entries += end - start
            seen.legs += int(legs_before[end] - legs_before[start])
            seen.last = int(ids[end - 1])

    def finish(self, links: list[BatchLink], stored_hashes: list[str]) -> list[Finding]:
        """Hold every batch seen against its link and every link against the one before it."""
        prev = GENESIS
        for link, stored in zip(links, stored_hashes, strict=True):
            if link.prev != prev:
                self.note(Problem.LINK_BROKEN, f"batch #{link.seq}", "does not name the batch linked before it")
            if batch_hash(link) != stored:
                self.note(Problem.LINK_BROKEN, f"batch #{link.seq}", "its recorded hash does not match its content")
            prev = stored
            seen = self.seen.pop(link.batch, None)
            if seen is None:
                self.note(Problem.BATCH_CHANGED, f"batch #{link.seq}", f"its {link.entries} entries are not stored")
                continue
            actual = (seen.entries, seen.legs, seen.first, seen.last, self.heads.get(link.batch))
            recorded = (link.entries, link.legs, link.first_entry, link.last_entry, link.head)
            if actual != recorded:
                head = " and another last hash" if actual[4] != link.head else ""
                self.note(Problem.BATCH_CHANGED, f"batch #{link.seq}",
                          f"holds {seen.entries} entries with {seen.legs} legs (ids {seen.first}–{seen.last});"
                          f" linked with {link.entries} entries and {link.legs} legs (ids"
                          f" {link.first_entry}–{link.last_entry}){head}")  # fmt: skip
        for batch, seen in self.seen.items():
            self.note(Problem.ENTRY_UNSEALED, f"entry {seen.first}",
                      f"{seen.entries} entries of batch {batch}, which was never linked into the chain")  # fmt: skip
        return self.findings
