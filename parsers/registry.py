"""Which parser reads a channel's files: built from the channel's configuration at run time."""

from __future__ import annotations

from pathlib import Path

from parsers.base import RegisterParser


def build_parser(fmt: str, dialect: str | None, xsd_dir: Path | None = None) -> RegisterParser:
    """The parser for a channel of format ``fmt`` (``text``, ``xlsx``, ``dbf``, ``gis_xml``).

    ``xlsx`` reads every spreadsheet container, told from the file's content: XLSX, ODS, legacy
    XLS and an HTML table saved as ``.xls`` (``parsers.sheet_source``).

    ``dialect`` names a text dialect, an XLSX profile or a DBF profile: a built-in name
    (``sber_classic``, ``xlsx_portal``, ``dbf_sber_branch``, …) or the path of a YAML file, so a
    new bank needs a file, not code.
    """
    if fmt == "text":
        from parsers.text import TextRegisterParser

        return TextRegisterParser.from_dialect(dialect or "sber_classic")
    if fmt == "xlsx":
        from parsers.xlsx import XlsxRegisterParser

        return XlsxRegisterParser.from_profile(dialect or "xlsx_portal")
    if fmt == "dbf":
        from parsers.dbf import DbfRegisterParser

        return DbfRegisterParser.from_profile(dialect or "dbf_sber_branch")
    if fmt == "gis_xml":
        from parsers.gis_xml import GisXmlParser

        return GisXmlParser(xsd_dir)
    raise ValueError(f"unknown register format {fmt!r}")
