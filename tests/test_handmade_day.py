"""A hand-made day through the nightly flow: three channels, a bank statement, a repeated
operation, a payment through two channels, an unknown account, partial payments. The ledger
balances each supplier should end with are worked out by hand below."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from rkc.app import import_charges_files
from rkc.config import CONFIG_NAME, Config, init_home, load_config
from sql.engine import make_engine
from sql.ledger_queries import balances, check_ledger
from tests.nightutil import gis_as_agent

A, B, C = "7707083893", "7830002293", "5402010008"
CHARGES = f"""uip;account;period;supplier_inn;service;amount;payer;address
U1;1001;2026-10;{A};Содержание жилья;900.00;ИВАНОВ И И;Г ИПАТОВО УЛ ЛЕНИНА Д 1
U1;1001;2026-10;{B};Электроэнергия;600.00;ИВАНОВ И И;Г ИПАТОВО УЛ ЛЕНИНА Д 1
U2;1002;2026-10;{A};Содержание жилья;500.00;ПЕТРОВ П П;Г ИПАТОВО УЛ МИРА Д 3
U2;1002;2026-10;{C};Холодная вода;500.00;ПЕТРОВ П П;Г ИПАТОВО УЛ МИРА Д 3
U3;1003;2026-10;{B};Электроэнергия;300.00;СИДОРОВ С С;Г ИПАТОВО УЛ МИРА Д 5
"""
SUPPLIERS = f"""inn;name;kpp;bank_account;bic;email
{A};ООО «УК Ипатово»;;;;
{B};АО «Энергосбыт»;;;;
{C};МУП «Водоканал»;;;;
"""
SBER_1 = """19-11-2026;10-00-00;8625;8625099V;1;000001001;ИВАНОВ И И;Г ИПАТОВО УЛ ЛЕНИНА Д 1;1026;1500,00;1485,00;15,00
19-11-2026;10-05-00;8625;8625099V;2;1002;ПЕТРОВ П П;Г ИПАТОВО УЛ МИРА Д 3;1026;500,00;495,00;5,00
19-11-2026;10-10-00;8625;8625099V;3;9999;НЕИЗВЕСТНЫЙ;Г ИПАТОВО;1026;100,00;99,00;1,00
19-11-2026;10-15-00;8625;8625099V;4;1003;СИДОРОВ С С;Г ИПАТОВО УЛ МИРА Д 5;1026;300,00;297,00;3,00
=4;2400,00;2376,00;24,00;517;20-11-2026
"""
SBER_2 = """19-11-2026;10-05-00;8625;8625099V;2;1002;ПЕТРОВ П П;Г ИПАТОВО УЛ МИРА Д 3;1026;500,00;495,00;5,00
=1;500,00;495,00;5,00;518;20-11-2026
"""
GIS = """<?xml version="1.0" encoding="UTF-8"?>
<pay:importNotificationsOfOrderExecutionRequest xmlns:pay="http://dom.gosuslugi.ru/schema/integration/payment/" \
xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" \
xmlns:pb="http://dom.gosuslugi.ru/schema/integration/payments-base/" \
xmlns:ab="http://dom.gosuslugi.ru/schema/integration/account-base/" \
xmlns:ob="http://dom.gosuslugi.ru/schema/integration/organizations-base/" base:version="10.0.1.1" Id="r1">
  <pay:NotificationOfOrderExecutionType>
    <pb:RecipientInfo>
      <ob:INN>7830002293</ob:INN>
      <pb:Legal><ob:KPP>783001001</ob:KPP><pb:Name>АО Энергосбыт</pb:Name></pb:Legal>
      <pb:PaymentInformation>
        <pb:RecipientINN>7830002293</pb:RecipientINN><pb:BankName>ПАО Банк</pb:BankName>
        <pb:PaymentRecipient>АО Энергосбыт</pb:PaymentRecipient><pb:BankBIK>044525225</pb:BankBIK>
        <pb:operatingAccountNumber>40702810500000000002</pb:operatingAccountNumber>
      </pb:PaymentInformation>
    </pb:RecipientInfo>
    <pb:OrderInfo>
      <pb:OrderID>G0000000000000000000000000000001</pb:OrderID>
      <pb:OrderDate>2026-11-19</pb:OrderDate>
      <pb:Amount>30000</pb:Amount>
      <base:Year>2026</base:Year>
      <base:Month>10</base:Month>
      <ab:AccountNumber>1003</ab:AccountNumber>
    </pb:OrderInfo>
    <base:TransportGUID>6f1c2a9e-0b0d-4c1e-9a55-000000000001</base:TransportGUID>
  </pay:NotificationOfOrderExecutionType>
</pay:importNotificationsOfOrderExecutionRequest>
"""
STATEMENT = """1CClientBankExchange
ВерсияФормата=1.03
Кодировка=Windows
Отправитель=Банк-клиент
ДатаСоздания=20.11.2026
ДатаНачала=20.11.2026
ДатаКонца=20.11.2026
РасчСчет=40702810900000000001
СекцияРасчСчет
ДатаНачала=20.11.2026
ДатаКонца=20.11.2026
РасчСчет=40702810900000000001
НачальныйОстаток=0.00
ВсегоПоступило=2871.00
ВсегоСписано=0.00
КонечныйОстаток=2871.00
КонецРасчСчет
{docs}КонецФайла
"""
DOC = """СекцияДокумент=Платежное поручение
Номер={number}
Дата=20.11.2026
Сумма={amount}
ПлательщикСчет=30101810400000000225
Плательщик=ПАО Сбербанк
ПлательщикИНН=7707083893
ПолучательСчет=40702810900000000001
Получатель=РКЦ
ДатаПоступило=20.11.2026
НазначениеПлатежа=Перечисление средств по реестру № {number} от 20.11.2026
КонецДокумента
"""


def _portal(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Реестр платежей за 19.11.2026"])
    sheet.append([])
    header = ["Дата платежа", "Номер операции", "УИП", "Лицевой счет", "ФИО", "Адрес", "Период", "Сумма", "Комиссия"]
    sheet.append(header)
    sheet.append([dt.datetime(2026, 11, 19, 12, 0), "P1", "U2", "1002", "ПЕТРОВ П П", "Г ИПАТОВО", "10.2026", 400.0, 0])
    sheet.append(["Итого: 1", None, None, None, None, None, None, 400.0, 0])
    book.save(path)


def _drop_day(config: Config, tmp_path: Path) -> None:
    """Import the charges; drop the day's registers and the bank statement into their inboxes."""
    (tmp_path / "charges.csv").write_text(CHARGES, encoding="utf-8")
    (tmp_path / "suppliers.csv").write_text(SUPPLIERS, encoding="utf-8")
    import_charges_files(config, tmp_path / "charges.csv", tmp_path / "suppliers.csv")
    (config.inbox / "sber" / "reestr_517.txt").write_bytes(SBER_1.replace("\n", "\r\n").encode("cp1251"))
    (config.inbox / "sber" / "reestr_518.txt").write_bytes(SBER_2.replace("\n", "\r\n").encode("cp1251"))
    (config.inbox / "gis" / "notifications.xml").write_text(GIS, encoding="utf-8")
    _portal(config.inbox / "portal" / "portal.xlsx")
    docs = DOC.format(number=517, amount="2376.00") + DOC.format(number=518, amount="495.00")
    (config.statements_inbox / "vypiska.txt").write_bytes(STATEMENT.format(docs=docs).encode("cp1251"))


def test_handmade_day(harness, tmp_path, db_url, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.nightly import nightly

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(tmp_path / "home")
    gis_as_agent(config.home)  # the day below is worked out with ГИС ЖКХ paying its own п/п
    config = load_config(config.home)
    _drop_day(config, tmp_path)

    result = nightly(home=str(config.home), run_date=dt.date(2026, 11, 20))
    codes = result["discrepancies"]
    assert codes.get("DUPLICATE_PAYMENT") == 1  # operation 2 again in register 518
    assert codes.get("DUPLICATE_CROSS_CHANNEL") == 1  # operation 4 is ГИС ЖКХ's notification again
    assert codes.get("UNKNOWN_ACCOUNT") == 1  # account 9999
    assert codes.get("UNDERPAYMENT") == 2  # U2 paid 500 by sber and 400 by the portal, of 1000
    assert codes.get("TRANSFER_MISSING") == 2  # the portal's and ГИС ЖКХ's п/п are not in the statement

    engine = make_engine(load_config(config.home).database_url)
    with engine.connect() as conn:
        found = balances(conn)
        assert check_ledger(conn) == []
    engine.dispose()
    # By hand: U1 1500 paid in full → A 900, B 600; U2 paid 500 by sber (A 250, C 250) and 400 by the
    # portal (A 200, C 200), each pro rata; U3 300 through ГИС ЖКХ → B (the sber copy is not posted);
    # 100 for the unknown account waits in suspense.
    assert found[f"supplier:{A}"] == 135000
    assert found[f"supplier:{B}"] == 90000
    assert found[f"supplier:{C}"] == 45000
    assert found["suspense"] == 10000
    assert found["commission:sber"] == 2100  # 15 + 5 + 1 on the three sber payments posted
    assert found["agent:portal"] == 40000 and found["agent:gis"] == 30000  # their п/п have not arrived
    assert found["bank:40702810900000000001"] == 287100  # п/п 517 and 518
    assert found["agent:sber"] == 210000 - 2100 - 287100  # sber paid for its duplicates too: owed back


SECOND_SBER = """  sber_south:             # another branch of the same bank: same INN, its own correspondent account
    format: text
    dialect: sber_classic
    agent: {name: ПАО Сбербанк (Юг), inn: "7707083893", account: "%s"}
    commission: {percent: "1.0", min: "0.00", max: ""}
    priority: 6
"""


@pytest.mark.parametrize(
    "accounts",
    [("30101810400000000225", "30101810000000000999"), ("", "")],
    ids=["the account tells them apart", "only the tied register tells"],
)
def test_two_channels_of_one_bank_credit_the_right_agent(
    harness, tmp_path, db_url, monkeypatch: pytest.MonkeyPatch, accounts: tuple[str, str]
) -> None:
    """Sber's п/п 517 and 518 are credited to `sber`, not to the other channel with Sber's INN."""
    from flows.nightly import nightly

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(tmp_path / "home")
    path = config.home / CONFIG_NAME
    text = path.read_text(encoding="utf-8").replace('"30101810400000000225"', f'"{accounts[0]}"')
    path.write_text(text + SECOND_SBER % accounts[1], encoding="utf-8")
    gis_as_agent(config.home)  # as in test_handmade_day
    config = load_config(config.home)
    (config.inbox / "sber_south").mkdir()
    _drop_day(config, tmp_path)

    result = nightly(home=str(config.home), run_date=dt.date(2026, 11, 20))
    assert "REGISTER_MISSING" not in result["discrepancies"]
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        found = balances(conn)
        assert check_ledger(conn) == []
    engine.dispose()
    assert found["agent:sber"] == 210000 - 2100 - 287100
    assert "agent:sber_south" not in found
