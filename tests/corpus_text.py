"""Text register samples of the corpus (tests/data/corpus/), as the agents send them.

Each sample is a list of lines written with the agent's encoding and line ends by
``tests/corpus_build.py``; docs/CORPUS.md cites the public source of every layout and
tests/data/corpus/manifest.json holds the expected counts and sums, worked out by hand (not by
this module), so that golden tests have an independent expectation. Payer data is invented.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextSample:
    """One text file of the corpus: where it goes, its bytes' encoding, line end and lines."""

    path: str
    encoding: str
    eol: str
    lines: tuple[str, ...]
    final_eol: bool = True

    def payload(self) -> bytes:
        """The file's bytes: lines joined by ``eol`` (and one after the last line if ``final_eol``)."""
        text = self.eol.join(self.lines) + (self.eol if self.final_eol else "")
        return text.encode(self.encoding)


CRLF, LF = "\r\n", "\n"

# Sber classic body (12 fields) under a "#" header block carrying the control totals: the block
# is one line shorter than a dialect with skip_lines: 4 expected (issue 15's lost 900.00).
SBER_HASH_HEADER = TextSample(
    "sber_8625/hash_header.txt", "cp1251", CRLF, (
        "#FILESUM 3450.00",
        "#COUNT 3",
        "#SERVICE 8625",
        "20-11-2026;09-12-44;8625;8625099V;300100401;000012345678;ИВАНОВ ИВАН ИВАНОВИЧ;"
        "Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2;1026;900,00;891,00;9,00",
        "20-11-2026;10-05-19;8625;SBOL;300100402;000000456789;ПЕТРОВА АННА СЕРГЕЕВНА;"
        "Г ИПАТОВО УЛ МИРА Д 14 КВ 7;1026;1200,00;1188,00;12,00",
        "20-11-2026;11-40-02;8625;8625/0112;300100403;000000077777;КУЗНЕЦОВА ОЛЬГА НИКОЛАЕВНА;"
        "С ЛЕСНОЕ УЛ САДОВАЯ Д 3;1026;1350,00;1336,50;13,50",
    ),
)  # fmt: skip

# Sber classic with a title line, a blank line, the period written as a date (01/10/2026), one
# line whose amount has a letter O for a zero (unreadable) and the "=" footer.
SBER_PERIOD_DATE = TextSample(
    "sber_8625/title_period_date.txt", "cp1251", CRLF, (
        "Реестр платежей за 20.11.2026 (ГОСБ 8625)",
        "20-11-2026;09-01-10;8625;8625099V;300200501;000012340001;СМИРНОВ ПАВЕЛ ИГОРЕВИЧ;"
        "Г ИПАТОВО УЛ ЛЕНИНА Д 7 КВ 1;01/10/2026;2100,00;2079,00;21,00",
        "20-11-2026;09-17-45;8625;SBOL;300200502;000012340002;ВОЛКОВА МАРИЯ ПЕТРОВНА;"
        "Г ИПАТОВО УЛ ЛЕНИНА Д 7 КВ 2;01/10/2026;850,50;842,00;8,50",
        "",
        "20-11-2026;10-02-33;8625;8625/0112;300200503;000012340003;ЗАЙЦЕВ ОЛЕГ ЮРЬЕВИЧ;"
        "Г ИПАТОВО УЛ ЛЕНИНА Д 7 КВ 3;01/09/2026;1500,00;1485,00;15,00",
        "20-11-2026;10-44-00;8625;8625099V;300200504;000012340004;ОРЛОВА НИНА ВАСИЛЬЕВНА;"
        "Г ИПАТОВО УЛ ЛЕНИНА Д 7 КВ 4;01/10/2026;1 5O0,00;1485,00;15,00",
        "20-11-2026;11-20-18;8625;SBOL;300200505;000012340005;ЛЕБЕДЕВ ИГОРЬ АНДРЕЕВИЧ;"
        "Г ИПАТОВО УЛ ЛЕНИНА Д 7 КВ 5;01/10/2026;3200,00;3168,00;32,00",
        "=5;9150,50;9059,00;91,50;4471;20-11-2026",
    ),
)  # fmt: skip

# Sber classic whose second payment is dated a year ahead (2027 typed for 2026) and third ten
# years back: parsed as payments, then DATE_OUT_OF_RANGE for the domain (held in suspense).
SBER_FUTURE_DATE = TextSample(
    "sber_8625/future_date.txt", "cp1251", CRLF, (
        "20-11-2026;09-12-44;8625;8625099V;300300701;000012345678;ИВАНОВ ИВАН ИВАНОВИЧ;"
        "Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2;1026;1000,00;990,00;10,00",
        "20-11-2027;10-05-19;8625;SBOL;300300702;000000456789;ПЕТРОВА АННА СЕРГЕЕВНА;"
        "Г ИПАТОВО УЛ МИРА Д 14 КВ 7;1026;2000,00;1980,00;20,00",
        "20-11-2016;11-40-02;8625;8625/0112;300300703;000000077777;КУЗНЕЦОВА ОЛЬГА НИКОЛАЕВНА;"
        "С ЛЕСНОЕ УЛ САДОВАЯ Д 3;1026;500,00;495,00;5,00",
        "=3;3500,00;3465,00;35,00;4480;20-11-2026",
    ),
)  # fmt: skip

# A register without totals of its own (NNNNN.001, cp866) and its totals file (NNNNN.K01) that
# arrives beside it; the .K01 carries the Sber footer's fields.
SBER_K01_REGISTER = TextSample(
    "sber_k01/24001.001", "cp866", CRLF, (
        "20-11-2026;09-30-00;8625;8625/0031;500300601;000012345678;ИВАНОВ ИВАН ИВАНОВИЧ;"
        "Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2;1026;2000,00;1980,00;20,00",
        "20-11-2026;12-10-41;8625;8625/0031;500300602;000000456789;ПЕТРОВА АННА СЕРГЕЕВНА;"
        "Г ИПАТОВО УЛ МИРА Д 14 КВ 7;1026;1800,00;1782,00;18,00",
        "20-11-2026;16-55-09;8625;8625/0031;500300603;000000012345;СИДОРОВ ПЁТР АЛЕКСЕЕВИЧ;"
        "С ЛЕСНОЕ УЛ САДОВАЯ Д 3;1026;2000,00;1980,00;20,00",
    ),
)  # fmt: skip
SBER_K01_TOTALS = TextSample("sber_k01/24001.K01", "cp866", CRLF, ("=3;5800,00;5742,00;58,00;1190;20-11-2026",))

# «Город»: "#" header (#FILESUM/#TYPE/#SERVICE), then KEY:value fields after positional ones and a
# variable number of trailing meter readings CounterVal_N. Line 8 has no CLIENTNO and an empty
# CLIENTDOCNO: no identifier, rejected with its readable 300.00 (inside #FILESUM 8750.00).
GOROD_KEYVALUE = TextSample(
    "gorod/keyvalue_meters.txt", "cp1251", CRLF, (
        "#FILESUM 8750.00",
        "#TYPE 7",
        "#SERVICE 5258",
        "8625;0112;101120260001;20/11/2026;1500.00;15.00;CLIENTNO:000012345678;"
        "CLIENTDOCNO:56АБ123456-01-1026;method_pay:касса",
        "8625;0000;101120260002;20/11/2026;1250.00;12.50;CLIENTNO:000000456789;CLIENTDOCNO:;"
        "method_pay:Сбербанк Онлайн;CounterVal_1:00123.45",
        "8625;0000;101120260003;20/11/2026;700.00;7.00;CLIENTNO:000000077777;CLIENTDOCNO:;"
        "method_pay:Сбербанк Онлайн;CounterVal_1:01011.000;CounterVal_2:00345.500",
        "8625;0112;101120260004;20/11/2026;2000.00;20.00;CLIENTNO:000012340010;CLIENTDOCNO:;"
        "method_pay:устройство самообслуживания;CounterVal_1:4521;CounterVal_2:1033;CounterVal_3:87.25",
        "8625;0000;101120260005;20/11/2026;300.00;3.00;CLIENTDOCNO:;method_pay:Сбербанк Онлайн",
        "8625;0112;101120260006;20/11/2026;3000.00;30.00;CLIENTNO:000012340011;"
        "CLIENTDOCNO:56АБ123457-01-1026;method_pay:касса",
    ),
)  # fmt: skip

# «Город» KEY:value lines whose payer scanned the receipt: the bank writes the scanned ГОСТ Р 56042
# payload (cp1251 like the file, ST00011) in a QRCODE: field beside method_pay:. Line 4 names no
# CLIENTNO: the payload's PersAcc and PaymPeriod identify it; line 5 neither, and its UIN holds the
# ИПД; line 6 paid 1000.00 of a 1250.00 receipt (QR_MISMATCH); line 7's payload is cut short
# (QR_UNREADABLE) and an empty method_pay:; line 8 has no identifier and an unreadable payload:
# rejected with its 2100.00 (inside #FILESUM 7950.00). Keys of the payload arrive in any case.
_QR_PAYEE = ('ST00011|Name=ООО "РКЦ Ипатово"|PersonalAcc=40702810938000000001|BankName=ПАО Сбербанк'
             "|BIC=044525225|CorrespAcc=30101810400000000225|PayeeINN=7707083893")
GOROD_QR = TextSample(
    "gorod/keyvalue_qr.txt", "cp1251", CRLF, (
        "#FILESUM 7950.00",
        "#TYPE 7",
        "#SERVICE 5258",
        "8625;0000;101120260011;20/11/2026;1500.00;15.00;CLIENTNO:;CLIENTDOCNO:;method_pay:Сбербанк Онлайн;"
        f"QRCODE:{_QR_PAYEE}|PersAcc=000012345678|PaymPeriod=102026|Sum=150000|Purpose=Оплата ЖКУ за октябрь 2026"
        "|Category=ЖКУ|TechCode=02",
        "8625;0112;101120260012;20/11/2026;2400.00;24.00;CLIENTNO:;CLIENTDOCNO:;method_pay:устройство самообслуживания;"
        f"QRCODE:{_QR_PAYEE}|persacc=000000456789|paymperiod=102026|sum=240000|uin=56АБ123458-01-1026|techcode=02",
        "8625;0000;101120260013;20/11/2026;1000.00;10.00;CLIENTNO:000000077777;CLIENTDOCNO:;"
        f"method_pay:Сбербанк Онлайн;QRCODE:{_QR_PAYEE}|PersAcc=000000077777|PaymPeriod=092026|Sum=125000"
        "|Purpose=Оплата ЖКУ за сентябрь 2026|TechCode=02",
        "8625;0112;101120260014;20/11/2026;950.00;9.50;CLIENTNO:000012340010;CLIENTDOCNO:;method_pay:;"
        'QRCODE:ST00011|Name=ООО "РКЦ Ипатово"|PersonalAcc=4070281093800',
        "8625;0112;101120260015;20/11/2026;2100.00;21.00;CLIENTNO:;CLIENTDOCNO:;method_pay:касса;QRCODE:ST0001",
    ),
)  # fmt: skip

# «Город» columns (ФИО;Адрес;ЛС;Сумма;Услуга) with one line per service code; a payment is the
# lines of one operation id, whose first six digits are the payment date (ddMMyy). No date column.
GOROD_SERVICES = TextSample(
    "gorod/services_split.txt", "cp1251", CRLF, (
        "#FILESUM 6200.00",
        "#TYPE 7",
        "#SERVICE 5258",
        "ИВАНОВ ИВАН ИВАНОВИЧ;Ипатово г,Ленина ул,1,2;000012345678;800.00;1;201126091244000101",
        "ИВАНОВ ИВАН ИВАНОВИЧ;Ипатово г,Ленина ул,1,2;000012345678;450.00;2;201126091244000101",
        "ИВАНОВ ИВАН ИВАНОВИЧ;Ипатово г,Ленина ул,1,2;000012345678;250.00;3;201126091244000101",
        "ПЕТРОВА АННА СЕРГЕЕВНА;Ипатово г,Мира ул,14,7;000000456789;1200.00;1;201126100519000102",
        "ПЕТРОВА АННА СЕРГЕЕВНА;Ипатово г,Мира ул,14,7;000000456789;600.00;4;201126100519000102",
        "СИДОРОВ ПЁТР АЛЕКСЕЕВИЧ;Лесное с,Садовая ул,3,;000000012345;2000.00;1;211126083002000103",
        "КУЗНЕЦОВА ОЛЬГА НИКОЛАЕВНА;Ипатово г,Карла Маркса пр-кт,40,101;000000007777;900.00;2;201126114002000104",
    ),
)  # fmt: skip

# ЮKassa / ЮMoney payments registry (CSV attachment): title, date line, header, rows whose
# "Описание" is RFC 4180 quoted because it holds ";" (and once a doubled quote), a blank line and
# two totals lines. UTF-8, LF, no line end after the last line.
YOOMONEY_REGISTRY = TextSample(
    "yoomoney/registry.csv", "utf-8", LF, (
        "РЕЕСТР ПЛАТЕЖЕЙ ПО ДОГОВОРУ НЭК.000000.01 (1000001)",
        "Дата платежей: 2026-11-20",
        "Идентификатор платежа;Сумма платежа;Валюта платежа;Сумма за вычетом комиссии и НДС;"
        "Сумма комиссии без НДС;Описание;НДС с комиссии",
        '2f1a0c3e-000f-5000-8000-1a2b3c4d5e01;1500.00;RUB;1477.00;19.17;'
        '"Оплата ЖКУ; ЛС 000012345678; период 10.2026";3.83',
        '2f1a0c3e-000f-5000-8000-1a2b3c4d5e02;2000.00;RUB;1970.00;25.00;'
        '"Оплата ЖКУ; ЛС 000000456789; период 10.2026";5.00',
        "2f1a0c3e-000f-5000-8000-1a2b3c4d5e03;800.00;RUB;788.00;10.00;"
        "Оплата ЖКУ ЛС 000000077777 период 09.2026;2.00",
        '2f1a0c3e-000f-5000-8000-1a2b3c4d5e04;1000.00;RUB;985.00;12.50;'
        '"Оплата ЖКУ; ЛС 000012340010; УК ""Управдом""";2.50',
        "",
        "Сумма принятых платежей: 5300.00 RUB",
        "Число платежей: 4",
    ),
    final_eol=False,
)  # fmt: skip

# A header-row register whose period is a date range in one field, with an ИТОГО line (bank
# attribution nominal: see docs/CORPUS.md).
VTB_RANGE = TextSample(
    "vtb/reestr_range.txt", "cp1251", CRLF, (
        "Дата;Время;Номер операции;Лицевой счет;ФИО;Адрес;Период;Сумма;Комиссия",
        "20.11.2026;08:15:02;7700112001;000012345678;ИВАНОВ И И;Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2;"
        "01.10.2026-31.10.2026;1000,00;10,00",
        "20.11.2026;09:40:55;7700112002;000000456789;ПЕТРОВА А С;Г ИПАТОВО УЛ МИРА Д 14 КВ 7;"
        "01.10.2026-31.10.2026;1500,00;15,00",
        "20.11.2026;13:03:17;7700112003;000000077777;КУЗНЕЦОВА О Н;С ЛЕСНОЕ УЛ САДОВАЯ Д 3;"
        "01.09.2026-31.10.2026;2600,00;26,00",
        "20.11.2026;17:22:40;7700112004;000012340010;ОРЛОВА Н В;Г ИПАТОВО УЛ ЛЕНИНА Д 7 КВ 4;"
        "01.10.2026-31.10.2026;500,00;5,00",
        "ИТОГО;4;5600,00;56,00",
    ),
)  # fmt: skip

# "|" separated, amounts in kopecks, KEY:value identifiers, two title lines and an ИТОГО footer:
# the worked example of docs/DIALECTS.md (bank attribution nominal).
POCHTA_PIPE = TextSample(
    "pochta/reestr_pipe.txt", "cp1251", CRLF, (
        "РЕЕСТР ПЛАТЕЖЕЙ ПОЧТА",
        "ОПЕРАЦИОННЫЙ ДЕНЬ 20.11.2026",
        "77001|2026-11-20|10:27|000000150000|000000001500|ИВАНОВ И И|CLIENTNO:000012345678|CLIENTDOCNO:",
        "77002|2026-11-20|11:02|000000080050|000000000800|ПЕТРОВА А С|CLIENTNO:000000456789|CLIENTDOCNO:",
        "77003|2026-11-20|12:45|000000230000|000000002300|СИДОРОВ П А|CLIENTNO:|CLIENTDOCNO:56АБ123456-01-1026",
        "77004|2026-11-20|15:10|000000040000|000000000400|ОРЛОВА Н В|CLIENTNO:000012340004|CLIENTDOCNO:",
        "ИТОГО|4|000000500050|000000005000",
    ),
)  # fmt: skip

TEXT_SAMPLES: tuple[TextSample, ...] = (
    SBER_HASH_HEADER,
    SBER_PERIOD_DATE,
    SBER_FUTURE_DATE,
    SBER_K01_REGISTER,
    SBER_K01_TOTALS,
    GOROD_KEYVALUE,
    GOROD_QR,
    GOROD_SERVICES,
    YOOMONEY_REGISTRY,
    VTB_RANGE,
    POCHTA_PIPE,
)
