"""Which parser reads a channel's files: built from the channel's configuration at run time."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from parsers.base import RegisterParser


def build_parser(
    fmt: str, dialect: str | None, xsd_dir: Path | None = None, fields: Mapping[str, Any] | None = None
) -> RegisterParser:
    """The parser for a channel of format ``fmt`` (``text``, ``xlsx``, ``dbf``, ``gis_xml``).

    ``xlsx`` reads every spreadsheet container, told from the file's content: XLSX, ODS, legacy
    XLS and an HTML table saved as ``.xls`` (``parsers.sheet_source``).

    ``dialect`` names a text dialect, an XLSX profile or a DBF profile: a built-in name
    (``sber_classic``, ``xlsx_portal``, ``dbf_sber_branch``, …) or the path of a YAML file, so a
    new bank needs a file, not code.

    ``fields``: where the channel's registers write the method and a QR payload (``method``, ``qr``:
    a column, header name, ``{key: PREFIX}`` or DBF field, in the format's own terms), over what the
    dialect or profile says (rkc.yaml ``channels.<name>.method.field`` and ``qr.field``).
    """
    fields = fields or {}
    if fmt == "text":
        from parsers.dialect import with_fields
        from parsers.text import TextRegisterParser

        text = TextRegisterParser.from_dialect(dialect or "sber_classic")
        return TextRegisterParser(with_fields(text.dialect, fields)) if fields else text
    if fmt == "xlsx":
        from parsers.xlsx import XlsxRegisterParser
        from parsers.xlsx_profile_load import with_columns

        sheet = XlsxRegisterParser.from_profile(dialect or "xlsx_portal")
        return XlsxRegisterParser(with_columns(sheet.profile, fields)) if fields else sheet
    if fmt == "dbf":
        from parsers.dbf import DbfRegisterParser
        from parsers.dbf_profile import with_fields as dbf_fields

        table = DbfRegisterParser.from_profile(dialect or "dbf_sber_branch")
        return DbfRegisterParser(dbf_fields(table.profile, fields)) if fields else table
    if fmt == "gis_xml":
        from parsers.gis_xml import GisXmlParser

        return GisXmlParser(xsd_dir)
    raise ValueError(f"unknown register format {fmt!r}")
