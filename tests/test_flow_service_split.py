"""A hand-made day through the nightly flow: a bank that writes one payment as several lines, one per
service in its own codes, grouped by the operation id, through a channel with a `service_codes` map.
The supplier balances are worked out by hand below."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from rkc.app import import_charges_files
from rkc.config import CONFIG_NAME, init_home, load_config
from sql.engine import make_engine
from sql.ledger_queries import balances, check_ledger
from tests.test_handmade_day import CHARGES as HANDMADE_CHARGES
from tests.test_handmade_day import SUPPLIERS, A, B, C

# The hand-made day's center, and one more ПД with two lines of one service (Холодная вода: C and B).
CHARGES = HANDMADE_CHARGES + f"""U4;1004;2026-10;{A};Содержание жилья;400.00;КУЗНЕЦОВ К К;Г ИПАТОВО УЛ МИРА Д 7
U4;1004;2026-10;{C};Холодная вода;300.00;КУЗНЕЦОВ К К;Г ИПАТОВО УЛ МИРА Д 7
U4;1004;2026-10;{B};Холодная вода;100.00;КУЗНЕЦОВ К К;Г ИПАТОВО УЛ МИРА Д 7
"""
# One line per service; the lines of one payment share the operation id, in any order.
DIALECT = r"""format: text
name: vbank_lines
separator: "|"
field_count: 7
fields: {operation_id: 1, date: 2, account: 3, payer: 4, period: 5, service_code: 6, amount: 7}
group_by: operation_id
period_formats: [mmyyyy]
totals:
  lines: ['^ИТОГО\|(?P<count>\d+)\|(?P<amount>[\d.,]+)$']
identify:
  first_line: '^\d+\|\d{2}\.\d{2}\.\d{4}\|'
"""
REGISTER = """900001|19.11.2026|1001|ИВАНОВ И И|102026|1|1000,00
900002|19.11.2026|1002|ПЕТРОВ П П|102026|ХВС|500,00
900001|19.11.2026|1001|ИВАНОВ И И|102026|2|500,00
900003|19.11.2026|1004|КУЗНЕЦОВ К К|102026|1|400,00
900004|19.11.2026|1003|СИДОРОВ С С|102026|7|300,00
900003|19.11.2026|1004|КУЗНЕЦОВ К К|102026|ХВС|200,00
ИТОГО|4|2900.00
"""
CHANNEL = """  vbank:
    format: text
    dialect: {dialect}
    agent: {{name: АО «В-Банк», inn: "7744000001", account: "30101810000000000777"}}
    priority: 7
    service_codes: {{"1": Содержание жилья, "2": Электроэнергия, ХВС: Холодная вода}}
"""


def test_grouped_lines_keep_the_banks_split_through_the_code_map(
    harness, tmp_path, db_url, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.nightly import nightly

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(tmp_path / "home")
    settings = config.home / CONFIG_NAME
    dialect = config.home / "vbank_lines.yaml"
    dialect.write_text(DIALECT, encoding="utf-8")
    settings.write_text(settings.read_text(encoding="utf-8") + CHANNEL.format(dialect=dialect), encoding="utf-8")
    config = load_config(config.home)
    (tmp_path / "charges.csv").write_text(CHARGES, encoding="utf-8")
    (tmp_path / "suppliers.csv").write_text(SUPPLIERS, encoding="utf-8")
    import_charges_files(config, tmp_path / "charges.csv", tmp_path / "suppliers.csv")
    (config.inbox / "vbank").mkdir(exist_ok=True)
    (config.inbox / "vbank" / "vbank_1911.txt").write_text(REGISTER, encoding="utf-8")

    result = nightly(home=str(config.home), run_date=dt.date(2026, 11, 20))
    codes = result["discrepancies"]
    # Six lines, four payments: 900002 pays cold water alone and 900003 part of U4; 900004's code 7
    # is not in the map. No line is a payment of its own (no UNDERPAYMENT per line).
    assert codes.get("UNDERPAYMENT") == 2
    assert codes.get("SERVICE_SPLIT_IGNORED") == 1
    assert "OVERPAYMENT" not in codes and "MALFORMED_LINE" not in codes
    assert "REGISTER_TOTAL_MISMATCH" not in codes and "UNVERIFIED_REGISTER" not in codes

    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        found = balances(conn)
        assert check_ledger(conn) == []
        ignored = conn.execute(sa.text("SELECT operation_id, detail FROM discrepancy "
                                       "WHERE code = 'SERVICE_SPLIT_IGNORED'")).all()  # fmt: skip
    engine.dispose()
    assert [r[0] for r in ignored] == ["900004"]
    assert "7 (нет в справочнике кодов канала)" in ignored[0][1]
    # By hand:
    # 900001 → U1, 1000.00 housing («1») + 500.00 power («2») = the ПД's 1500.00, but split the bank's
    #   way, not the ПД's 900/600: A 1000, B 500.
    # 900002 → U2, 500.00 cold water («ХВС»): all to C; housing (A) gets nothing; UNDERPAYMENT of 1000.
    # 900003 → U4, 400.00 housing → A; 200.00 cold water over its two lines C 300 : B 100 → C 150, B 50;
    #   UNDERPAYMENT of 800.
    # 900004 → U3, code 7 unknown: split by the ПД, all 300.00 to B; SERVICE_SPLIT_IGNORED.
    assert found[f"supplier:{A}"] == 100000 + 40000
    assert found[f"supplier:{B}"] == 50000 + 5000 + 30000
    assert found[f"supplier:{C}"] == 50000 + 15000
    assert found["agent:vbank"] == 290000  # its п/п has not arrived
    assert "suspense" not in found or found["suspense"] == 0
