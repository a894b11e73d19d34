"""Collection from another local folder (a mounted share): new regular files copied in once; links,
dot-names and other names left there; a missing folder is an error of that source only."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from rkc.collect import collect
from tests.transportutil import make_home


def test_new_files_are_copied_once_and_the_rest_left_alone(tmp_path: Path, engine: sa.Engine, db_url: str) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (share / "notifications_20261120.xml").write_bytes(b"<x/>")
    (share / ".uploading.xml").write_bytes(b"<half")
    (share / "readme.txt").write_bytes(b"not xml")
    os.symlink("/etc/passwd", share / "link.xml")
    config = make_home(tmp_path / "home", db_url, sources={"gis": {"folder": str(share), "pattern": "*.xml"},
                                                           "portal": {"folder": str(tmp_path / "absent")}})  # fmt: skip
    outcomes = {o.channel: o for o in collect(config, engine)}
    assert outcomes["gis"].landed == ["notifications_20261120.xml"] and outcomes["gis"].error is None
    assert outcomes["portal"].error is not None and "does not exist" in outcomes["portal"].error
    assert sorted(p.name for p in (config.inbox / "gis").iterdir()) == ["notifications_20261120.xml"]
    assert (share / "notifications_20261120.xml").exists()  # the share is someone else's: nothing removed

    assert collect(config, engine, ["gis"])[0].landed == []
    (share / "notifications_20261121.xml").write_bytes(b"<y/>")
    assert collect(config, engine, ["gis"])[0].landed == ["notifications_20261121.xml"]
