"""Bank statements in the 1CClientBankExchange text format (version 1.02/1.03).

The file is ``Key=Value`` lines: the ``1CClientBankExchange`` signature, a header
(``ВерсияФормата``, ``Кодировка``, ``Отправитель``, …), one or more ``СекцияРасчСчет`` …
``КонецРасчСчет`` sections with the account's balances and turnover, ``СекцияДокумент=<kind>`` …
``КонецДокумента`` blocks (one п/п each) and ``КонецФайла``.

Encoding: ``Кодировка=Windows`` means cp1251, ``DOS`` cp866. The key itself is Cyrillic, so it is
looked for in the raw bytes in each candidate encoding. Files that are valid UTF-8 with non-ASCII
text are read as UTF-8 whatever they declare (exporters that write UTF-8 and keep ``Windows`` exist,
the shared sample is one; cp1251/cp866 Cyrillic is practically never valid UTF-8).

Validation (anything wrong is ``StatementError`` with file, line and reason; never a crash):
the key list of format 1.03 (an unknown key is refused, naming it: it usually means a file of
another format or a broken export), well-formed sections, dates and amounts, ``КонецФайла``
present, opening + incoming − outgoing = closing, and, with ``check_documents=True``, the
documents' sums equal ``ВсегоПоступило``/``ВсегоСписано``. That last check is off by default:
banks export statement excerpts whose header totals cover more documents than the file holds (the
shared sample is one); a п/п missing from an excerpt still shows up as TRANSFER_MISSING. A key
written twice in one section with the same value is accepted (exporters repeat ``РасчСчет``);
with another value it is refused, naming the key and both lines.

Accounts: a file may hold ``СекцияРасчСчет`` sections of several accounts (a bank exports all of
a client's accounts at once). The account asked for (the center's) is read, else the only one,
else the first; the others' sections are left unread and named in ``other_accounts``. With
several accounts a document belongs to the one it names in ``Плательщик(Расч)Счет`` or
``Получатель(Расч)Счет``; documents that do not name the account read are counted in
``ignored_documents`` (with one account in the file, every document is its own, as before).
Whether the statement read is the center's is the caller's judgement (``domain.tieout``).

Balances, per account: its sections sorted by ``ДатаНачала``; each section that declares its
turnover must tie on its own, each must open with the previous one's closing balance, and the
first opening + the turnover − … = the last closing (turnover from the documents when a section
does not declare it).

Direction of a document: ``ДатаПоступило`` set means incoming, ``ДатаСписано`` outgoing; when
neither (or both) is set, whether the statement's account is the recipient or the payer decides.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from domain.money import AmountError, format_amount, parse_amount
from domain.records import BankStatement, BankTransfer
from parsers.base import BadFile

SIGNATURE = "1CClientBankExchange"
MAX_BYTES = 256 << 20  # a statement is text; anything bigger is not one
ENCODINGS = {"windows": "cp1251", "dos": "cp866", "utf-8": "utf-8", "utf8": "utf-8"}

HEADER_KEYS = frozenset(
    "ВерсияФормата Кодировка Отправитель Получатель ДатаСоздания ВремяСоздания ДатаНачала ДатаКонца "
    "РасчСчет Документ".split()
)
ACCOUNT_KEYS = frozenset(
    "ДатаНачала ДатаКонца РасчСчет НачальныйОстаток ВсегоПоступило ВсегоСписано КонечныйОстаток".split()
)
_PARTY = "{p}Счет {p} {p}ИНН {p}КПП {p}РасчСчет {p}Банк1 {p}Банк2 {p}БИК {p}Корсчет {p}Банк {p}ОКПО {p}ОГРН"
DOCUMENT_KEYS = frozenset(
    (
        "Номер Дата Сумма КвитанцияДата КвитанцияВремя КвитанцияСодержание ДатаСписано ДатаПоступило "
        "ВидПлатежа ВидОплаты СтатусСоставителя ПоказательКБК ОКАТО ОКТМО ПоказательОснования "
        "ПоказательПериода ПоказательНомера ПоказательДаты ПоказательТипа Очередность СрокАкцепта "
        "ВидАккредитива СрокПлатежа ПлатежПоПредст ДополнУсловия НомерСчетаПоставщика ДатаОтсылкиДок "
        "НазначениеПлатежа Код КодНазПлатежа КодВыплат КодУИН УИН ИдентификаторПлатежа "
        + _PARTY.format(p="Плательщик")
        + " "
        + _PARTY.format(p="Получатель")
    ).split()
)
_NUMBERED = re.compile(r"^(?:Плательщик|Получатель|НазначениеПлатежа|УсловиеОплаты)\d$")


class StatementError(BadFile):
    """An invalid 1CClientBankExchange statement: the file, the line (when known) and the reason."""

    def __init__(self, file: str | Path, reason: str, line: int | None = None) -> None:
        super().__init__(file, reason if line is None else f"line {line}: {reason}")
        self.line = line


def identify(head: bytes) -> bool:
    """Whether ``head`` (the file's first bytes) starts like a 1CClientBankExchange file."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t").startswith(SIGNATURE.encode("ascii"))


def decode(path: Path, data: bytes) -> str:
    """The statement's text, in the encoding it declares (or UTF-8 when it is valid UTF-8)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not identify(data):
        raise StatementError(path, f"not a 1CClientBankExchange file (the first line must be {SIGNATURE})", 1)
    try:
        text = data.decode("utf-8")
        if not text.isascii():
            return text
    except UnicodeDecodeError:
        pass
    declared = None
    for candidate in ("cp1251", "cp866"):
        match = re.search(re.escape("Кодировка=".encode(candidate)) + rb"([^\r\n]*)", data)
        if match is not None:
            declared = match.group(1).decode("ascii", errors="replace").strip().lower()
            break
    encoding = ENCODINGS.get(declared or "windows")
    if encoding is None:
        raise StatementError(path, f"unknown Кодировка={declared!r} (expected Windows or DOS)")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise StatementError(path, f"not valid {encoding} text at byte {exc.start}") from exc


def parse_statement(path: Path, *, account: str | None = None, check_documents: bool = False) -> BankStatement:
    """Read and check a statement of ``account`` (see the module docstring for which account is read when
    the file does not hold it); ``StatementError`` (a ``BadFile``) when it is invalid."""
    return _reader(Path(path)).statement(check_documents, account or None)


def parse_payment_orders(path: Path) -> tuple[BankTransfer, ...]:
    """Read a 1CClientBankExchange file of documents for the bank (payment orders, as
    ``rkc payouts prepare`` writes them): the same key list, sections, dates and amounts as a
    statement, without balances; ``StatementError`` when it is invalid."""
    return _reader(Path(path)).payment_orders()


def _reader(path: Path) -> _Reader:
    """A reader over the file's decoded text; ``StatementError`` when it is too large or unreadable."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise StatementError(path, f"file larger than {MAX_BYTES >> 20} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise StatementError(path, f"cannot be read: {exc}") from exc
    return _Reader(path, decode(path, data))


def _date(path: Path, line: int, key: str, value: str) -> date:
    try:
        return datetime.strptime(value.strip(), "%d.%m.%Y").date()
    except ValueError:
        raise StatementError(path, f"{key}={value!r} is not a date dd.mm.yyyy", line) from None


def _amount(path: Path, line: int, key: str, value: str, *, negative: bool = False) -> int:
    try:
        return parse_amount(value, allow_negative=negative)
    except AmountError as exc:
        raise StatementError(path, f"{key}: {exc}", line) from None


def _untied(opening: int, incoming: int, outgoing: int, closing: int) -> str:
    computed = format_amount(opening + incoming - outgoing)
    return (
        f"balances do not tie: НачальныйОстаток {format_amount(opening)} + поступило {format_amount(incoming)} "
        f"− списано {format_amount(outgoing)} = {computed}, КонечныйОстаток {format_amount(closing)}"
    )


def _accounts_named(doc: dict[str, tuple[str, int]]) -> set[str]:
    """The accounts a document names as payer's or recipient's."""
    keys = ("ПлательщикСчет", "ПлательщикРасчСчет", "ПолучательСчет", "ПолучательРасчСчет")
    return {doc[k][0] for k in keys if doc.get(k, ("", 0))[0]}


class _Reader:
    """One pass over the lines; sections collected as ``{key: (value, line)}`` dicts."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, reason: str, line: int | None = None) -> StatementError:
        return StatementError(self.path, reason, line)

    def statement(self, check_documents: bool, account: str | None) -> BankStatement:
        """The file as a statement of ``account`` (its balances and documents)."""
        return self._build(*self._sections(), check_documents, account)

    def payment_orders(self) -> tuple[BankTransfer, ...]:
        """The documents of a file sent to the bank (payment orders): no balances; each document is
        the header's ``РасчСчет``'s."""
        header, accounts, documents = self._sections()
        number = header.get("РасчСчет", ("", 0))[0]
        if not number or accounts:
            raise self.fail("a payment orders file names its РасчСчет in the header and has no СекцияРасчСчет")
        if not documents:
            raise self.fail("no СекцияДокумент: the file holds no payment order")
        return tuple(self._transfer(line, doc, number) for line, doc in documents)

    def _sections(self) -> tuple[dict, list, list]:
        """One pass over the lines: the header, the account sections and the documents (each a
        ``{key: (value, line)}`` dict, the sections with their first line)."""
        header: dict[str, tuple[str, int]] = {}
        accounts: list[tuple[int, dict[str, tuple[str, int]]]] = []
        documents: list[tuple[int, dict[str, tuple[str, int]]]] = []
        current: dict[str, tuple[str, int]] | None = None
        section = ""  # "", "account", "document"
        ended = False
        for number, line in enumerate(self.lines, start=1):
            text = line.strip()
            if not text or number == 1:
                continue
            if ended:
                raise self.fail("text after КонецФайла", number)
            key, sep, value = text.partition("=")
            key = key.strip()
            if text == "СекцияРасчСчет" or key == "СекцияДокумент":
                if section:
                    raise self.fail(f"{key} inside an unfinished section", number)
                current, section = {}, ("account" if text == "СекцияРасчСчет" else "document")
                (accounts if section == "account" else documents).append((number, current))
                continue
            if text in ("КонецРасчСчет", "КонецДокумента"):
                if section != ("account" if text == "КонецРасчСчет" else "document"):
                    raise self.fail(f"{text} without its section", number)
                current, section = None, ""
                continue
            if text == "КонецФайла":
                if section:
                    raise self.fail("КонецФайла inside an unfinished section", number)
                ended = True
                continue
            if not sep:
                raise self.fail(f"not a Key=Value line: {text[:60]!r}", number)
            known = {"": HEADER_KEYS, "account": ACCOUNT_KEYS, "document": DOCUMENT_KEYS}[section]
            if key not in known and not (section == "document" and _NUMBERED.match(key)):
                where = {"": "the header", "account": "СекцияРасчСчет", "document": "СекцияДокумент"}[section]
                raise self.fail(f"unknown key {key!r} in {where}", number)
            target = current if current is not None else header  # current is set exactly inside a section
            if key in target and key != "Документ":
                first, line = target[key]
                if first == value.strip():
                    continue  # the same value again says nothing new
                raise self.fail(f"key {key!r} repeated with another value ({first!r} on line {line})", number)
            target[key] = (value.strip(), number)
        if not ended:
            raise self.fail("no КонецФайла: the statement is truncated")
        return header, accounts, documents

    def _build(
        self,
        header: dict[str, tuple[str, int]],
        accounts: list[tuple[int, dict[str, tuple[str, int]]]],
        documents: list[tuple[int, dict[str, tuple[str, int]]]],
        check_documents: bool,
        wanted: str | None,
    ) -> BankStatement:
        if not accounts:
            raise self.fail("no СекцияРасчСчет: the statement has no balances")
        groups: dict[str, list[dict]] = {}
        for start, section in accounts:
            number = section.get("РасчСчет", header.get("РасчСчет", ("", 0)))[0]
            if not number:
                raise self.fail("СекцияРасчСчет without РасчСчет", start)
            groups.setdefault(number, []).append(self._balances(start, section))
        if wanted in groups or len(groups) == 1:
            account = wanted if wanted in groups else next(iter(groups))
        elif wanted is None:
            raise self.fail(f"СекцияРасчСчет of several accounts ({', '.join(groups)}): which one to read?")
        else:
            account = next(iter(groups))  # none is the one asked for: a foreign statement, the caller says so
        others = tuple(a for a in groups if a != account)
        # With one account every document is its own; with several, the account it names decides.
        own = [(line, doc) for line, doc in documents if not others or account in _accounts_named(doc)]
        transfers = tuple(self._transfer(line, doc, account) for line, doc in own)
        sections = sorted(groups[account], key=lambda s: s["from"] or date.min)
        opening, closing = sections[0]["opening"], sections[-1]["closing"]
        doc_in = sum(t.amount for t in transfers if t.incoming)
        doc_out = sum(t.amount for t in transfers if not t.incoming)
        declared_in = [s["incoming"] for s in sections]
        declared_out = [s["outgoing"] for s in sections]
        incoming = sum(v for v in declared_in if v is not None) if None not in declared_in else doc_in
        outgoing = sum(v for v in declared_out if v is not None) if None not in declared_out else doc_out
        self._check_sections(sections)
        if opening + incoming - outgoing != closing:
            raise self.fail(_untied(opening, incoming, outgoing, closing))
        if check_documents:
            if None not in declared_in and doc_in != incoming:
                raise self.fail(
                    f"incoming documents sum to {format_amount(doc_in)}, ВсегоПоступило is {format_amount(incoming)}"
                )
            if None not in declared_out and doc_out != outgoing:
                raise self.fail(
                    f"outgoing documents sum to {format_amount(doc_out)}, ВсегоСписано is {format_amount(outgoing)}"
                )
        return BankStatement(
            file=str(self.path), account=account, date_from=sections[0]["from"], date_to=sections[-1]["to"],
            opening=opening, incoming=incoming, outgoing=outgoing, closing=closing, transfers=transfers,
            other_accounts=others, ignored_documents=len(documents) - len(own),
        )  # fmt: skip

    def _check_sections(self, sections: list[dict]) -> None:
        """One account's sections (in date order): each that declares its turnover ties on its own, and
        each opens with the previous one's closing balance."""
        for previous, section in zip([None, *sections], sections, strict=False):
            if previous is not None and previous["closing"] != section["opening"]:
                raise self.fail(
                    f"НачальныйОстаток {format_amount(section['opening'])} is not the previous section's "
                    f"КонечныйОстаток {format_amount(previous['closing'])} (line {previous['line']})",
                    section["line"],
                )
            incoming, outgoing = section["incoming"], section["outgoing"]
            if len(sections) > 1 and incoming is not None and outgoing is not None:
                if section["opening"] + incoming - outgoing != section["closing"]:
                    untied = _untied(section["opening"], incoming, outgoing, section["closing"])
                    raise self.fail(untied, section["line"])

    def _balances(self, start: int, section: dict[str, tuple[str, int]]) -> dict:
        def amount(key: str, required: bool) -> int | None:
            if key not in section or not section[key][0]:
                if required:
                    raise self.fail(f"СекцияРасчСчет without {key}")
                return None
            value, line = section[key]
            return _amount(self.path, line, key, value, negative=True)

        def day(key: str) -> date | None:
            if key not in section or not section[key][0]:
                return None
            return _date(self.path, section[key][1], key, section[key][0])

        return {
            "opening": amount("НачальныйОстаток", True), "closing": amount("КонечныйОстаток", True),
            "incoming": amount("ВсегоПоступило", False), "outgoing": amount("ВсегоСписано", False),
            "from": day("ДатаНачала"), "to": day("ДатаКонца"), "line": start,
        }  # fmt: skip

    def _transfer(self, start: int, doc: dict[str, tuple[str, int]], account: str) -> BankTransfer:
        def get(*keys: str) -> str:
            for key in keys:
                if doc.get(key, ("", 0))[0]:
                    return doc[key][0]
            return ""

        for key in ("Номер", "Дата", "Сумма"):
            if not get(key):
                raise self.fail(f"СекцияДокумент without {key}", start)
        amount = _amount(self.path, doc["Сумма"][1], "Сумма", doc["Сумма"][0])
        if amount <= 0:
            raise self.fail("Сумма must be positive", doc["Сумма"][1])
        received, debited = get("ДатаПоступило"), get("ДатаСписано")
        for key, value in (("ДатаПоступило", received), ("ДатаСписано", debited)):
            if value:
                _date(self.path, doc[key][1], key, value)
        payer_account = get("ПлательщикРасчСчет", "ПлательщикСчет")
        recipient_account = get("ПолучательРасчСчет", "ПолучательСчет")
        if bool(received) != bool(debited):
            incoming = bool(received)
        elif account in (recipient_account, get("ПолучательСчет")) and account not in (payer_account,):
            incoming = True
        elif account in (payer_account, get("ПлательщикСчет")) and account not in (recipient_account,):
            incoming = False
        else:
            raise self.fail("cannot tell whether the document is incoming or outgoing", start)
        purpose = get("НазначениеПлатежа") or " ".join(get(f"НазначениеПлатежа{i}") for i in range(1, 7)).strip()
        return BankTransfer(
            number=get("Номер"), date=_date(self.path, doc["Дата"][1], "Дата", doc["Дата"][0]), amount=amount,
            incoming=incoming, payer_name=get("Плательщик1", "Плательщик"), payer_inn=get("ПлательщикИНН"),
            payer_account=payer_account, payer_bic=get("ПлательщикБИК"),
            recipient_name=get("Получатель1", "Получатель"), recipient_inn=get("ПолучательИНН"),
            recipient_account=recipient_account, purpose=purpose, line_no=start,
            recipient_bic=get("ПолучательБИК"), recipient_kpp=get("ПолучательКПП"), payer_kpp=get("ПлательщикКПП"),
            debited=_date(self.path, doc["ДатаСписано"][1], "ДатаСписано", debited) if debited else None,
        )  # fmt: skip
