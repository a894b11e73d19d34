"""Receipt QR payloads (ГОСТ Р 56042-2014): decoding, key case, mandatory fields, identifiers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.qr import QrError, QrPayment, decode, parse

# Accounts valid for БИК 044525225 (30101810400000000225 is its correspondent account). Plain
# quotes in Name: KOI8-R has no «».
BODY = (
    'Name=ООО "УК Жилсервис"|PersonalAcc=40702810938000000001|BankName=ПАО Сбербанк|BIC=044525225'
    "|CorrespAcc=30101810400000000225|PayeeINN=7707083893|PersAcc=00012345|PaymPeriod=012024"
    "|Sum=150075|Purpose=Оплата ЖКУ за январь|Category=ЖКУ|TechCode=02"
)


def payload(digit: str = "2", body: str = BODY) -> str:
    """A payload text with the given declared encoding digit."""
    return f"ST0001{digit}|{body}"


def test_parse_full_utf8() -> None:
    qr = parse(payload().encode("utf-8"))
    assert qr == QrPayment(
        name='ООО "УК Жилсервис"',
        personal_acc="40702810938000000001",
        bank_name="ПАО Сбербанк",
        bic="044525225",
        corresp_acc="30101810400000000225",
        payee_inn="7707083893",
        pers_acc="00012345",  # raw ЛС: leading zeros are data
        paym_period="012024",
        sum_kopecks=150075,
        purpose="Оплата ЖКУ за январь",
        uin=None,
        tech_code="02",
        encoding="utf-8",
        extra={"Category": "ЖКУ"},
    )


@pytest.mark.parametrize("declared", ["1", "2", "3", "9"])
@pytest.mark.parametrize("actual", ["utf-8", "cp1251", "koi8_r"])
def test_encoding_is_detected_not_trusted(declared: str, actual: str) -> None:
    qr = parse(payload(declared).encode(actual))
    assert qr.encoding == actual
    assert qr.name == 'ООО "УК Жилсервис"'
    assert qr.purpose == "Оплата ЖКУ за январь"


@pytest.mark.parametrize(
    "text",
    ["ООО УК", "ПАО СБЕРБАНК", "Оплата", "ЖКУ", "ТСЖ", "Иванов Иван Иванович", "ТСЖ Берёзка"],
)
@pytest.mark.parametrize("actual", ["cp1251", "koi8_r"])
def test_short_upper_and_lower_case_values_decode(text: str, actual: str) -> None:
    decoded, encoding = decode(f"ST00011|Name={text}".encode(actual))
    assert (decoded.split("=")[1], encoding) == (text, actual)


@pytest.mark.parametrize(
    "fields",
    [
        "Name=МУП ЖКХ|BankName=ПАО СБЕРБАНК|Purpose=ОПЛАТА ЖКУ",
        "Name=ГУП ВОДОКАНАЛ|BankName=ВТБ (ПАО)|Purpose=ХВС",
        "Name=ФКР МОСКВЫ|BankName=ГУ БАНКА РОССИИ ПО ЦФО|Purpose=ВЗНОС НА КАПРЕМОНТ",
        "Name=ооо ук жилсервис|BankName=пао сбербанк|Purpose=оплата жку за март",
        "Name=ТСЖ Берёзка|BankName=Банк|Purpose=Взнос за март",
    ],
)
@pytest.mark.parametrize("actual", ["cp1251", "koi8_r"])
def test_all_caps_and_all_lower_payloads_decode(fields: str, actual: str) -> None:
    text = f"ST00011|{fields}"
    assert decode(text.encode(actual)) == (text, actual)


def test_cp1251_typography_is_not_taken_for_koi8() -> None:
    # «», № and dashes exist in cp1251 only; read as KOI8-R they become box-drawing characters.
    text = "ST00013|Name=ТСЖ «Берёзка»|Purpose=Взнос № 5 — март"
    assert decode(text.encode("cp1251")) == (text, "cp1251")


def test_already_decoded_text_is_accepted() -> None:
    qr = parse(payload("1"))
    assert qr.encoding == "str" and qr.sum_kopecks == 150075


def test_keys_in_any_case_are_canonical() -> None:
    body = BODY.replace("PersonalAcc", "PERSONALACC").replace("BIC=", "bic=").replace("PersAcc", "persacc")
    body = body.replace("Category", "CATEGORY").replace("TechCode", "techcode")
    qr = parse(payload(body=body))
    assert qr.personal_acc == "40702810938000000001" and qr.bic == "044525225"
    assert qr.pers_acc == "00012345" and qr.tech_code == "02"
    assert qr.extra == {"Category": "ЖКУ"}


def test_unknown_keys_kept_as_written_and_trailing_separator_ignored() -> None:
    qr = parse(payload(body=BODY + "|MyField=x||"))
    assert qr.extra == {"Category": "ЖКУ", "MyField": "x"}


def test_other_separator_and_bom() -> None:
    text = "ST00012#" + BODY.replace("|", "#")
    assert parse(b"\xef\xbb\xbf" + text.encode()).sum_kopecks == 150075


def test_minimal_payload_and_no_correspondent_account() -> None:
    body = "Name=ТСЖ|PersonalAcc=40702810938000000001|BankName=Банк|BIC=044525225|CorrespAcc=0"
    qr = parse(payload(body=body))
    assert qr.corresp_acc == "0" and qr.sum_kopecks is None and qr.payee_inn is None and qr.extra == {}


def test_treasury_account_checks_form_only() -> None:
    body = (
        "Name=УФК|PersonalAcc=03100643000000017300|BankName=ГУ Банка России|BIC=004525988"
        "|CorrespAcc=40102810545370000003|UIN=0"
    )
    qr = parse(payload(body=body))
    assert qr.personal_acc == "03100643000000017300" and qr.uin == "0"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no ST0001 header"),
        ("ST0002|Name=x", "no ST0001 header"),
        ("ST00012", "no field separator"),
        ("ST00012Name=x", "no field separator"),
        (payload(body=BODY.replace("|BankName=ПАО Сбербанк", "")), "missing or empty: BankName"),
        (payload(body=BODY.replace('Name=ООО "УК Жилсервис"', "Name=")), "missing or empty: Name"),
        ("ST00012|Sum=100", "Name, PersonalAcc, BankName, BIC, CorrespAcc"),
        (payload(body=BODY + "|Broken"), "Key=Value"),
        (payload(body=BODY + "|=x"), "Key=Value"),
        (payload(body=BODY + "|sum=1"), "Sum given twice"),
        (payload(body=BODY.replace("Sum=150075", "Sum=1500.75")), "Sum is not a whole number"),
        (payload(body=BODY.replace("40702810938000000001", "40702810938000000002")), "control key"),
        (payload(body=BODY.replace("30101810400000000225", "30101810400000000226")), "control key"),
        (payload(body=BODY.replace("BIC=044525225", "BIC=04452522")), "БИК must have 9"),
        (payload(body=BODY.replace("7707083893", "1234567810")), "ИНН check digits"),
        (payload(body=BODY + "|UIN=12345678901234567890"), "УИН check digit"),
    ],
)
def test_rejected(text: str, reason: str) -> None:
    with pytest.raises(QrError, match=reason):
        parse(text)


def test_identifier_checks_can_be_switched_off() -> None:
    body = BODY.replace("7707083893", "1234567810").replace("40702810938000000001", "40702810938000000002")
    qr = parse(payload(body=body), check_identifiers=False)
    assert qr.payee_inn == "1234567810"


def test_repeated_identical_field_is_harmless() -> None:
    assert parse(payload(body=BODY + "|SUM=150075")).sum_kopecks == 150075


def test_not_bytes_or_str() -> None:
    with pytest.raises(QrError, match="bytes or str"):
        parse(12345)  # type: ignore[arg-type]


@given(st.integers(0, 10**12), st.sampled_from(["utf-8", "cp1251", "koi8_r"]))
def test_sum_round_trips(kopecks: int, encoding: str) -> None:
    body = BODY.replace("Sum=150075", f"Sum={kopecks}")
    assert parse(payload(body=body).encode(encoding)).sum_kopecks == kopecks


@pytest.mark.parametrize(
    ("uin_value", "ok"),
    [
        ("26АА000101-01-1026", True),  # an ИПД, as printed ЖКУ receipts carry it
        ("26AA000101-01-1026", True),  # the same typed with Latin look-alikes
        ("18810177170100008214", True),  # a УИН with its check digit
        ("18810177170100008215", False),  # a УИН with a wrong check digit
        ("26АА000101-01-10", False),  # neither
        ("0", True),  # "no УИН"
    ],
)
def test_uin_field_takes_an_ipd_or_a_uin(uin_value: str, ok: bool) -> None:
    text = payload(body=BODY + f"|UIN={uin_value}")
    if ok:
        assert parse(text).uin == uin_value
    else:
        with pytest.raises(QrError):
            parse(text)


_VALUE = st.text(alphabet=st.characters(blacklist_characters="|\r\n", blacklist_categories=("Cs", "Cc")), max_size=30)


@given(purpose=_VALUE, pers=st.from_regex(r"[0-9]{1,12}", fullmatch=True), total=st.integers(1, 10**9))
def test_compose_is_read_back_by_parse(purpose: str, pers: str, total: int) -> None:
    from domain.qr import compose

    values = {"Name": "РКЦ", "PersonalAcc": "40702810938000000001", "BankName": "ПАО Сбербанк", "BIC": "044525225",
              "CorrespAcc": "30101810400000000225", "PersAcc": pers, "Sum": str(total), "Purpose": purpose,
              "TechCode": "02", "UIN": "26АА000101-01-1026"}  # fmt: skip
    qr = parse(compose(values))
    assert (qr.pers_acc, qr.sum_kopecks, qr.uin, qr.tech_code) == (pers, total, "26АА000101-01-1026", "02")
    assert qr.purpose == (purpose.strip() or None)


@pytest.mark.parametrize(
    ("values", "message"),
    [({"Name": "РКЦ"}, "mandatory"), ({**dict.fromkeys(("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"), "x"),
                                       "Purpose": "a|b"}, "separator")],
)  # fmt: skip
def test_compose_refuses_what_would_not_read_back(values: dict, message: str) -> None:
    from domain.qr import compose

    with pytest.raises(QrError, match=message):
        compose(values)
