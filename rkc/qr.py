"""The receipt's QR code (ГОСТ Р 56042-2014) for a ПД: what `rkc qr UIP` prints and draws.

The payee is the center (its name, account, bank, БИК, correspondent account and ИНН from
``rkc.yaml``); the payer's part comes from the stored ПД: the ЛС as printed (PersAcc), the period
(PaymPeriod ``MMYYYY``), the total in kopecks (Sum), and its ИПД in UIN when the ПД's УИП is one.
The payload is read back with ``domain.qr.parse`` before it is handed out: a requisite a bank's app
would refuse (an account failing its control key with the БИК) is refused here.
"""

from __future__ import annotations

from sqlalchemy import Engine

from domain.gis_exchange import is_ipd
from domain.qr import compose, parse
from rkc.config import Config
from sql.documents import find_document


class DocumentNotFound(LookupError):
    """No ПД has the УИП asked for."""


def receipt_payload(config: Config, engine: Engine, uip: str) -> str:
    """The ГОСТ Р 56042 payload of the ПД ``uip`` (``domain.qr.QrError`` when a requisite is wrong)."""
    with engine.connect() as conn:
        document = find_document(conn, uip)
    if document is None:
        raise DocumentNotFound(f"no ПД with УИП {uip!r}")
    year, month = document.period[:4], document.period[5:7]
    payload = compose(
        {
            "Name": config.center_name,
            "PersonalAcc": config.center_account,
            "BankName": config.center_bank_name,
            "BIC": config.center_bic,
            "CorrespAcc": config.center_corresp_account or "0",  # "0": the bank has none (the standard's spelling)
            "PayeeINN": config.center_inn,
            "PersAcc": document.account_raw,
            "PaymPeriod": f"{month}{year}",
            "Sum": str(document.total),
            "Purpose": f"Оплата ЖКУ за {month}.{year}, ЛС {document.account_raw}",
            "Category": "ЖКУ",
            "TechCode": "02",  # ГОСТ Р 56042: housing and utility services
            "UIN": document.uip if is_ipd(document.uip) else "",
        }
    )
    parse(payload)  # the checks a payer's bank applies: refuse here rather than on the receipt
    return payload
