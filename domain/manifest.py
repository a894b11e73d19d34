"""Signed run manifests: what a run read and wrote, the bridge and the chain head, under HMAC-SHA256.

A manifest's ``body`` is canonical JSON (sorted keys, no spaces, UTF-8) and its signature is
HMAC-SHA256 of those bytes under the center's signing key; ``key_id`` names the key without
revealing it. The demo key is public: a manifest signed with it proves nothing and says so.
Pure functions; reading the key from the environment and files from disk is ``rkc.manifest``'s.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum

FORMAT = "rkc-manifest-1"
DEMO_KEY = b"rkc demo signing key: public, proves nothing"
MIN_KEY_BYTES = 32


class ManifestKind(StrEnum):
    """Which run wrote a manifest."""

    NIGHT = "night"
    STATEMENTS = "statements"


class SigningKeyError(ValueError):
    """A signing key that cannot be used (too short)."""


@dataclass(frozen=True)
class SigningKey:
    """The key manifests are signed with; ``demo`` when it is the public demo key."""

    secret: bytes
    demo: bool = False

    @property
    def key_id(self) -> str:
        """A name for the key that does not reveal it."""
        return key_id(self.secret)


def key_id(secret: bytes) -> str:
    """The first 16 hex digits of a keyed digest of ``secret``: tells keys apart, reveals nothing.

    >>> key_id(DEMO_KEY) == key_id(DEMO_KEY), len(key_id(DEMO_KEY))
    (True, 16)
    """
    return hashlib.sha256(b"rkc-key-id\x1f" + secret).hexdigest()[:16]


def signing_key(secret: str | bytes) -> SigningKey:
    """A key from its text; refused when shorter than ``MIN_KEY_BYTES`` bytes.

    >>> signing_key("x" * 32).demo
    False
    >>> signing_key("short")
    Traceback (most recent call last):
    ...
    domain.manifest.SigningKeyError: the signing key has 5 bytes; at least 32 are needed (e.g. `openssl rand -hex 32`)
    """
    raw = secret.encode() if isinstance(secret, str) else secret
    raw = raw.strip()
    if len(raw) < MIN_KEY_BYTES:
        raise SigningKeyError(
            f"the signing key has {len(raw)} bytes; at least {MIN_KEY_BYTES} are needed (e.g. `openssl rand -hex 32`)"
        )
    return SigningKey(raw)


def canonical(body: dict) -> str:
    """The one text of ``body`` that is signed.

    >>> canonical({"b": 1, "a": "ж"})
    '{"a":"ж","b":1}'
    """
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sign(body_text: str, key: SigningKey) -> str:
    """HMAC-SHA256 of the canonical body under ``key``, hex."""
    return hmac.new(key.secret, body_text.encode("utf-8"), hashlib.sha256).hexdigest()


def signature_valid(body_text: str, signature: str, key: SigningKey) -> bool:
    """Whether ``signature`` is ``key``'s over ``body_text`` (compared in constant time).

    >>> key = signing_key("k" * 32)
    >>> signature_valid("{}", sign("{}", key), key), signature_valid('{"a":1}', sign("{}", key), key)
    (True, False)
    """
    return hmac.compare_digest(sign(body_text, key), signature)


def superseded_inputs(manifests: list[dict]) -> dict[str, int]:
    """For every input file's sha256, the index of the last manifest (in signing order) that lists
    it where it was filed: a file read again on a later night (refused as unreadable, or quarantined
    and then accepted in the workbench) is filed anew, and only the newest manifest vouches for
    where it is now — the same bytes, as the sha256 says.

    >>> first, again = {"sha256": "x", "stored": "quarantine/x"}, {"sha256": "x", "stored": "archive/x"}
    >>> superseded_inputs([{"inputs": [first]}, {"inputs": [again]}])
    {'x': 1}
    """
    latest: dict[str, int] = {}
    for index, body in enumerate(manifests):
        for item in body.get("inputs", []):
            if item.get("stored"):
                latest[item["sha256"]] = index
    return latest


def superseded_outputs(manifests: list[dict]) -> dict[str, int]:
    """For every output path, the index of the last manifest (in signing order) that lists it: a
    rerun of a night rewrites its report, and only the newest manifest vouches for the file.

    >>> superseded_outputs([{"outputs": [{"path": "a"}]}, {"outputs": [{"path": "a"}, {"path": "b"}]}])
    {'a': 1, 'b': 1}
    """
    latest: dict[str, int] = {}
    for index, body in enumerate(manifests):
        for item in body.get("outputs", []):
            latest[item["path"]] = index
    return latest
