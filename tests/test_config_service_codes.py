"""channels.<name>.service_codes: the bank's service codes mapped to the center's service names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rkc.config import ConfigError, default_config_text, parse_config


def _config(service_codes: object) -> dict:
    data = yaml.safe_load(default_config_text())
    data["channels"]["rshb"]["service_codes"] = service_codes
    return data


def test_absent_means_no_map(tmp_path: Path) -> None:
    config = parse_config(yaml.safe_load(default_config_text()), tmp_path)
    assert all(c.service_codes == {} for c in config.channels.values())


def test_a_map_is_read_as_text(tmp_path: Path) -> None:
    text = 'service_codes: {"01": Содержание жилья, "2": Электроэнергия, ХВС: " Холодная вода", 5258-01: Газ}'
    config = parse_config(_config(yaml.safe_load(text)["service_codes"]), tmp_path)
    assert config.channels["rshb"].service_codes == {
        "01": "Содержание жилья", "2": "Электроэнергия", "ХВС": "Холодная вода", "5258-01": "Газ",
    }  # fmt: skip
    assert config.channels["sber"].service_codes == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["1", "2"], r"channels\.rshb\.service_codes must be a mapping"),
        ({1: "Электроэнергия"}, r"channels\.rshb\.service_codes: code 1 must be quoted text"),
        ({" 1": "Электроэнергия"}, r"channels\.rshb\.service_codes: code ' 1' must be non-empty text"),
        ({"": "Электроэнергия"}, r"channels\.rshb\.service_codes: code '' must be non-empty"),
        ({"1": None}, r"channels\.rshb\.service_codes\.1 must be the service name"),
        ({"1": 5}, r"channels\.rshb\.service_codes\.1 must be the service name"),
        ({"1": "  "}, r"channels\.rshb\.service_codes\.1 must be the service name"),
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path: Path, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^rkc\.yaml: " + message):
        parse_config(_config(value), tmp_path, "rkc.yaml")


def test_yaml_number_codes_are_refused_not_guessed(tmp_path: Path) -> None:
    """`01: X` is the number 1 to YAML: the leading zero would be lost, so it must be quoted."""
    with pytest.raises(ConfigError, match="code 1 must be quoted text"):
        parse_config(_config(yaml.safe_load("{01: Содержание жилья}")), tmp_path, "rkc.yaml")
