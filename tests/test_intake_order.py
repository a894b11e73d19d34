"""Intake reads the costliest files first (a file's size weighed by its channel's format), and
hands back the results in inbox order whatever the order it read them in."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import nightly


class _Done:
    """A finished task's future."""

    def __init__(self, value: dict) -> None:
        self.value = value

    def result(self) -> dict:
        return self.value


@pytest.mark.parametrize("workers", [1, 2])
def test_the_costliest_file_is_read_first_and_results_keep_the_inbox_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    sizes = {"a.txt": 19_000, "book.xlsx": 8_700, "gis.xml": 90_000, "b.txt": 14_000, "small.txt": 1_000}
    channels = {"a.txt": "sber", "book.xlsx": "portal", "gis.xml": "gis", "b.txt": "online", "small.txt": "sber"}
    formats = {"sber": "text", "portal": "xlsx", "gis": "gis_xml", "online": "text"}
    files = []
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
        files.append((channels[name], tmp_path / name))
    submitted: list[str] = []

    def submit(runner: object, task: object, home: str, channel: str, path: str, *rest: object) -> _Done:
        submitted.append(Path(path).name)
        return _Done({"path": path, "channel": channel})

    monkeypatch.setattr(nightly, "submit", submit)
    results = nightly._intake_all("home", files, "work", workers, formats=formats)

    # costs: workbook 8,700 × 6 = 52,200; gis 90,000 × 0.3 = 27,000; the text files their bytes
    assert submitted == ["book.xlsx", "gis.xml", "a.txt", "b.txt", "small.txt"]
    assert [Path(r["path"]).name for r in results] == list(sizes)  # inbox order
    # without formats (a caller that names none), the largest first, as before
    submitted.clear()
    nightly._intake_all("home", files, "work", workers)
    assert submitted == ["gis.xml", "a.txt", "b.txt", "book.xlsx", "small.txt"]
