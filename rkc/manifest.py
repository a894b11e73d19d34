"""Writing a run's signed manifest: the key from the environment, the files' sha256, the chain head.

The key is ``RKC_SIGNING_KEY`` (or the file named by ``RKC_SIGNING_KEY_FILE``); keys retired by a
rotation stay verifiable through ``RKC_SIGNING_KEY_PREVIOUS`` (whitespace-separated). Without a
key a run refuses to start unless ``rkc.yaml`` says ``signing: demo``, which signs with the public
demo key and warns (docs/LEDGER.md, "Key handling").
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from domain.manifest import DEMO_KEY, FORMAT, ManifestKind, SigningKey, canonical, sign, signing_key
from rkc.config import Config, ConfigError
from sql.chain import chain_head
from sql.manifests import night_inputs, store_manifest

DEMO_WARNING = (
    "signing: demo — run manifests are signed with the public demo key and prove nothing; "
    "set RKC_SIGNING_KEY for a real center (docs/LEDGER.md)"
)


class SigningKeyMissing(ConfigError):
    """No signing key, and the configuration is not a demo's."""


def load_signing_key(config: Config, logger: logging.Logger | logging.LoggerAdapter | None = None) -> SigningKey:
    """The key this center signs manifests with; refuse when there is none (unless ``signing: demo``)."""
    text = os.environ.get("RKC_SIGNING_KEY")
    key_file = os.environ.get("RKC_SIGNING_KEY_FILE")
    if not text and key_file:
        try:
            text = Path(key_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise SigningKeyMissing(f"RKC_SIGNING_KEY_FILE={key_file}: cannot be read ({exc.strerror})") from exc
    if text:
        try:
            return signing_key(text)
        except ValueError as exc:
            raise SigningKeyMissing(f"RKC_SIGNING_KEY: {exc}") from exc
    if config.signing == "demo":
        (logger or logging.getLogger(__name__)).warning(DEMO_WARNING)
        return SigningKey(DEMO_KEY, demo=True)
    raise SigningKeyMissing(
        "RKC_SIGNING_KEY is not set: a run signs its manifest and refuses to start without a key"
        " (set it, or RKC_SIGNING_KEY_FILE; `signing: demo` in rkc.yaml only for a demo)"
    )


def verification_keys(config: Config) -> list[SigningKey]:
    """Every key a manifest may have been signed with: the current one (or the demo key), the
    retired ones, and the demo key (so that a demo manifest is recognised as one)."""
    keys = []
    try:
        keys.append(load_signing_key(config, logging.getLogger("rkc.verify.quiet")))
    except SigningKeyMissing:
        pass
    keys += [signing_key(k) for k in os.environ.get("RKC_SIGNING_KEY_PREVIOUS", "").split()]
    keys.append(SigningKey(DEMO_KEY, demo=True))
    return keys


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def relative(config: Config, path: str | Path) -> str:
    """A path as the manifest records it: relative to the working directory when inside it."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(config.home.resolve()).as_posix()
    except ValueError:
        return str(resolved)


def write_manifest(
    config: Config, engine: Engine, key: SigningKey, *, kind: ManifestKind, run_date: date | None, name: Path,
    inputs: list[dict], outputs: list[Path], bridge: dict | None = None,
) -> Path:  # fmt: skip
    """Sign and write a manifest to ``name`` (JSON: ``body``, ``key_id``, ``signature``) and record it."""
    with engine.connect() as conn:
        seq, head = chain_head(conn)
    body = {
        "format": FORMAT, "kind": kind.value, "run_date": run_date.isoformat() if run_date else None,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"), "host": socket.gethostname(),
        "inputs": inputs,
        "outputs": [{"path": relative(config, p), "sha256": file_sha256(Path(p))} for p in sorted(map(str, outputs))],
        "bridge": bridge or {}, "chain": {"seq": seq, "hash": head}, "demo_key": key.demo,
    }  # fmt: skip
    text = canonical(body)
    signature = sign(text, key)
    name.parent.mkdir(parents=True, exist_ok=True)
    document = {"body": body, "key_id": key.key_id, "signature": signature}
    name.write_text(canonical(document) + "\n", encoding="utf-8")
    with engine.begin() as conn:
        store_manifest(conn, kind=kind.value, run_date=run_date, path=relative(config, name), body=text,
                       key_id=key.key_id, signature=signature)  # fmt: skip
    return name


def write_night_manifest(
    config: Config, engine: Engine, run_date: date, outputs: list[Path], bridge: dict
) -> Path:
    """The night's manifest in ``out/<date>/manifest.json``: the registers and statements read, the
    report and summary written, the bridge's totals, the chain head."""
    key = load_signing_key(config)
    with engine.connect() as conn:
        inputs = night_inputs(conn, run_date)
    for item in inputs:
        if item.get("stored"):
            item["stored"] = relative(config, item["stored"])
    return write_manifest(config, engine, key, kind=ManifestKind.NIGHT, run_date=run_date,
                          name=config.out / run_date.isoformat() / "manifest.json", inputs=inputs, outputs=outputs,
                          bridge=bridge)  # fmt: skip
