"""Discrepancy codes: every outcome that is not a clean posting gets one of these."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """The discrepancy codes the accountants work from (docs/RULES.md)."""

    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    AMBIGUOUS_MATCH = "AMBIGUOUS_MATCH"
    ACCOUNT_CONFLICT = "ACCOUNT_CONFLICT"
    UNDERPAYMENT = "UNDERPAYMENT"
    OVERPAYMENT = "OVERPAYMENT"
    SERVICE_SPLIT_IGNORED = "SERVICE_SPLIT_IGNORED"
    PERIOD_MISSING = "PERIOD_MISSING"
    DUPLICATE_PAYMENT = "DUPLICATE_PAYMENT"
    DUPLICATE_CROSS_CHANNEL = "DUPLICATE_CROSS_CHANNEL"
    DUPLICATE_FILE = "DUPLICATE_FILE"
    REGISTER_TOTAL_MISMATCH = "REGISTER_TOTAL_MISMATCH"
    TRANSFER_MISMATCH = "TRANSFER_MISMATCH"
    TRANSFER_MISSING = "TRANSFER_MISSING"
    REGISTER_MISSING = "REGISTER_MISSING"
    COMMISSION_MISMATCH = "COMMISSION_MISMATCH"
    MALFORMED_LINE = "MALFORMED_LINE"
    BAD_FILE = "BAD_FILE"
    UNVERIFIED_REGISTER = "UNVERIFIED_REGISTER"
    DATE_OUT_OF_RANGE = "DATE_OUT_OF_RANGE"
    FOREIGN_STATEMENT = "FOREIGN_STATEMENT"
    PAYOUT_MISSING = "PAYOUT_MISSING"
    PAYOUT_MISMATCH = "PAYOUT_MISMATCH"
    UNKNOWN_OUTGOING = "UNKNOWN_OUTGOING"
    CASH_BRIDGE_MISMATCH = "CASH_BRIDGE_MISMATCH"
    GIS_CANCELLATION_HELD = "GIS_CANCELLATION_HELD"
    QR_MISMATCH = "QR_MISMATCH"
    QR_UNREADABLE = "QR_UNREADABLE"
    UNKNOWN_METHOD = "UNKNOWN_METHOD"
    REGISTER_ACCEPTED = "REGISTER_ACCEPTED"  # totals did not tie; a senior accepted it, its lines posted


# Russian titles used on report sheets; codes themselves stay as identifiers.
TITLES_RU: dict[Code, str] = {
    Code.UNKNOWN_ACCOUNT: "Не найден ПД / лицевой счёт",
    Code.AMBIGUOUS_MATCH: "Неоднозначное соответствие",
    Code.ACCOUNT_CONFLICT: "УИП и ЛС - на разные счета",  # a sheet name: at most 31 characters
    Code.UNDERPAYMENT: "Недоплата",
    Code.OVERPAYMENT: "Переплата",
    Code.SERVICE_SPLIT_IGNORED: "Разбивка банка не применена",
    Code.PERIOD_MISSING: "Не указан период",
    Code.DUPLICATE_PAYMENT: "Повторный платёж",
    Code.DUPLICATE_CROSS_CHANNEL: "Платёж через два канала",
    Code.DUPLICATE_FILE: "Повторный реестр",
    Code.REGISTER_TOTAL_MISMATCH: "Итоги реестра не сходятся",
    Code.TRANSFER_MISMATCH: "Сумма п/п не равна реестру",
    Code.TRANSFER_MISSING: "Нет п/п по реестру",
    Code.REGISTER_MISSING: "Нет реестра по п/п",
    Code.COMMISSION_MISMATCH: "Комиссия не по тарифу",
    Code.MALFORMED_LINE: "Нечитаемая строка",
    Code.BAD_FILE: "Нечитаемый файл",
    Code.UNVERIFIED_REGISTER: "Реестр без контрольных итогов",
    Code.DATE_OUT_OF_RANGE: "Дата платежа вне диапазона",  # a sheet name: at most 31 characters
    Code.FOREIGN_STATEMENT: "Выписка по чужому счёту",
    Code.PAYOUT_MISSING: "Перечисление не списано банком",
    Code.PAYOUT_MISMATCH: "Списание не как в поручении",
    Code.UNKNOWN_OUTGOING: "Списание без поручения РКЦ",
    Code.CASH_BRIDGE_MISMATCH: "Остаток банка не сходится",
    Code.GIS_CANCELLATION_HELD: "Аннулирование без платежа",
    Code.QR_MISMATCH: "QR-код не сходится со строкой",
    Code.QR_UNREADABLE: "QR-код не прочитан",
    Code.UNKNOWN_METHOD: "Неизвестный способ оплаты",
    Code.REGISTER_ACCEPTED: "Реестр принят с расхождением",
}
