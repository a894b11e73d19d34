"""channels.<name>.method and .qr of rkc.yaml (rkc/config_methods.py): defaults by format, the map read,
placements checked against the channel's own dialect when the configuration is read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from domain.methods import PaymentMethod
from rkc.config import ConfigError, default_config_text, parse_config


def _config(channel: str, **keys: object) -> dict:
    data = yaml.safe_load(default_config_text())
    for key, value in keys.items():
        if value is None:
            data["channels"][channel].pop(key, None)
        else:
            data["channels"][channel][key] = value
    return data


def test_a_channel_without_method_takes_its_formats_default(tmp_path: Path) -> None:
    data = _config("sber", method=None)
    config = parse_config(data, tmp_path)
    assert config.channels["sber"].method.map.default is PaymentMethod.BANK_APP
    assert config.channels["gis"].method.map.default is PaymentMethod.GIS  # gis_xml
    assert config.channels["sber"].method.fields == {}


def test_the_default_configuration_reads_every_channels_method(tmp_path: Path) -> None:
    channels = parse_config(yaml.safe_load(default_config_text()), tmp_path).channels
    sber = channels["sber"].method
    assert sber.fields == {"method": 4} and sber.map.values["sbol"] is PaymentMethod.BANK_APP
    assert channels["portal"].method.map.values["госуслуги"] is PaymentMethod.GOSUSLUGI
    assert channels["online"].method.map.values["autopay"] is PaymentMethod.AUTOPAY


def test_a_channel_places_the_method_and_qr_itself(tmp_path: Path) -> None:
    config = parse_config(_config("online", method={"default": "autopay", "field": "pay_method"},
                                  qr={"field": ["qr", "qr_code"]}), tmp_path)  # fmt: skip
    method = config.channels["online"].method
    assert method.map.default is PaymentMethod.AUTOPAY
    assert method.fields == {"method": "pay_method", "qr": ["qr", "qr_code"]}


@pytest.mark.parametrize(
    ("channel", "keys", "message"),
    [
        ("sber", {"method": {"default": "cash"}}, r"channels\.sber\.method\.default: 'cash' is not a payment method"),
        ("sber", {"method": {"values": {"SBOL": "app"}}}, r"channels\.sber\.method\.values\.SBOL: 'app' is not"),
        ("sber", {"method": {"values": {1: "cashier"}}}, r"channels\.sber\.method\.values: 1 must be quoted text"),
        ("sber", {"method": {"patterns": {"(": "cashier"}}},
         r"channels\.sber\.method\.patterns: '\(' is not a regular"),
        ("sber", {"method": {"colum": 4}}, r"channels\.sber\.method: unknown keys colum"),
        ("sber", {"method": ["cashier"]}, r"channels\.sber\.method must be a mapping"),
        ("sber", {"method": {"field": 0}}, r"channels\.sber\.method\.field must be a column number"),
        ("sber", {"method": {"field": {"kee": "X:"}}}, r"channels\.sber\.method\.field must be a column number"),
        ("sber", {"qr": {"field": 3, "other": 1}}, r"channels\.sber\.qr: unknown keys other"),
        ("sber", {"qr": {"field": 3}}, r"channels\.sber: dialect channel: qr\.field: the column is another field's"),
        ("sber", {"qr": {"field": "QR"}}, r"channels\.sber: dialect channel: qr\.field: a column name needs"),
        ("gis", {"qr": {"field": 3}}, r"channels\.gis: a ГИС ЖКХ channel has no columns"),
        ("portal", {"qr": {"field": "Сумма"}}, r"channels\.portal: xlsx profile channel: qr\.field: header name"),
    ],
)
def test_mistakes_name_the_channel_and_key(tmp_path: Path, channel: str, keys: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^rkc\.yaml: " + message):
        parse_config(_config(channel, **keys), tmp_path, "rkc.yaml")
