"""The configuration's YAML: parsed once per distinct text, each caller getting data of its own."""

from __future__ import annotations

import doctest

import pytest
import yaml

import parsers.yaml_load
from parsers.yaml_load import safe_load


def test_the_doctests() -> None:
    assert doctest.testmod(parsers.yaml_load).failed == 0


def test_a_caller_changing_its_data_changes_no_later_load() -> None:
    text = "channels:\n  sber:\n    accounts: ['0012']\n"
    first = safe_load(text)
    first["channels"]["sber"]["accounts"].append("changed")
    first["added"] = True
    assert safe_load(text) == {"channels": {"sber": {"accounts": ["0012"]}}}


def test_a_text_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    parses: list[str] = []
    real = yaml.load
    monkeypatch.setattr(yaml, "load", lambda text, Loader: parses.append(text) or real(text, Loader=Loader))
    text = "a: 'parsed once: test_a_text_is_parsed_once'\n"
    assert safe_load(text) == safe_load(text) == {"a": "parsed once: test_a_text_is_parsed_once"}
    assert parses == [text]


def test_bad_yaml_raises_every_time() -> None:
    for _ in range(2):
        with pytest.raises(yaml.YAMLError):
            safe_load("a: [1, 2\n")
