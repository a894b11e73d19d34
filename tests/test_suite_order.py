"""The suite's own order (``tests/conftest.py``): the modules of a few long tests are handed to the
xdist workers first, the others by their count of tests; a name in that list that no longer names a
module would silently drop out of it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from tests.conftest import LONGEST_MODULES, pytest_collection_modifyitems

TESTS = Path(__file__).resolve().parent


def test_every_longest_module_exists() -> None:
    missing = [name for name in LONGEST_MODULES if not (TESTS / name).is_file()]
    assert not missing, f"LONGEST_MODULES names modules that are gone: {missing}"


def test_the_longest_first_then_by_count_each_module_in_its_own_order() -> None:
    def item(module: str, test: str) -> SimpleNamespace:
        return SimpleNamespace(path=TESTS / module, name=test)

    first, second = LONGEST_MODULES[:2]
    items = [item("test_a.py", "a1"), item(second, "s1"), item("test_b.py", "b1"), item("test_b.py", "b2"),
             item(first, "f1"), item("test_a.py", "a2"), item("test_b.py", "b3"), item(first, "f2")]  # fmt: skip
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [i.name for i in items] == ["f1", "f2", "s1", "b1", "b2", "b3", "a1", "a2"]
