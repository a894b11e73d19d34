"""However broken a file is, intake ends it one way: read (every record accounted for) or refused
whole with a reason (BAD_FILE, quarantined by the commit step). Never an exception that would
leave it in the inbox unnamed, never a register whose records do not add up.

The inputs are the corpus registers and the shipped samples of every container, damaged the
ways files arrive damaged: cut short, bytes overwritten, garbage inserted, lines doubled.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rkc.config import CONFIG_NAME, init_home, load_config
from rkc.intake import BAD_FILE, PARSED, take_in
from sql.engine import make_engine, migrate

CORPUS = Path(__file__).parent / "data" / "corpus"
REGISTERS = Path(__file__).parent / "data" / "registers"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
# (sample, channel format, dialect or profile path)
SAMPLES = [
    (REGISTERS / "sber_classic_cp1251.txt", "text", "sber_classic"),
    (REGISTERS / "sber_multiservice.txt", "text", "sber_multiservice"),
    (REGISTERS / "pipe_header.csv", "text", "pipe_header"),
    (REGISTERS / "xlsx_portal.xlsx", "xlsx", "xlsx_portal"),
    (REGISTERS / "sheet_portal_biff8.xls", "xlsx", "xlsx_portal"),
    (REGISTERS / "sheet_portal_html.xls", "xlsx", "xlsx_portal"),
    (REGISTERS / "gis_notifications.xml", "gis_xml", None),
    (CORPUS / "dbf" / "sber_branch_cp866.dbf", "dbf", "dbf_sber_branch"),
    (CORPUS / "gorod" / "keyvalue_meters.txt", "text", str(CORPUS / "gorod" / "gorod_keyvalue.yaml")),
    (CORPUS / "gorod" / "services_split.txt", "text", str(CORPUS / "gorod" / "gorod_services.yaml")),
    (CORPUS / "sber_8625" / "hash_header.txt", "text", str(CORPUS / "sber_8625" / "sber_8625_hash.yaml")),
    (CORPUS / "rnkb" / "reestr_units.xlsx", "xlsx", str(CORPUS / "rnkb" / "xlsx_units.yaml")),
    (REGISTERS / "sheet_portal.ods", "xlsx", "xlsx_portal"),
    (REGISTERS / "gis_notifications_soap.xml", "gis_xml", None),
    (CORPUS / "dbf" / "pochta_cp1251.dbf", "dbf", "dbf_pochta"),
    (CORPUS / "yoomoney" / "registry.csv", "text", str(CORPUS / "yoomoney" / "yoomoney_registry.yaml")),
    (CORPUS / "vtb" / "reestr_range.txt", "text", str(CORPUS / "vtb" / "vtb_range.yaml")),
    (CORPUS / "gis_gkh" / "oplaty.xlsx", "xlsx", str(CORPUS / "gis_gkh" / "gis_oplaty.yaml")),
    (CORPUS / "gazprombank" / "web_export.xls", "xlsx", str(CORPUS / "gazprombank" / "html_table.yaml")),
    (CORPUS / "gazprombank" / "reestr_kopecks.xls", "xlsx", str(CORPUS / "gazprombank" / "xls_kopecks.yaml")),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("broken")
    config, _ = init_home(root / "home")
    channels = "channels:\n" + "".join(
        f"  c{i}:\n    format: {fmt}\n" + (f"    dialect: '{dialect}'\n" if dialect else "")
        for i, (_, fmt, dialect) in enumerate(SAMPLES)
    )
    path = config.home / CONFIG_NAME
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("channels:")] + channels, encoding="utf-8")
    config = load_config(config.home)
    engine = make_engine(f"sqlite:///{root / 'rkc.db'}")
    migrate(engine)
    yield config, engine, root
    engine.dispose()


def _damage(data: bytes, how: str, at: float, junk: bytes) -> bytes:
    cut = int(len(data) * at)
    if how == "truncate":
        return data[:cut]
    if how == "overwrite":
        return data[:cut] + junk + data[cut + len(junk) :]
    if how == "insert":
        return data[:cut] + junk + data[cut:]
    line_end = data.find(b"\n", cut)
    start = data.rfind(b"\n", 0, cut) + 1
    return data if line_end < 0 else data[:line_end + 1] + data[start : line_end + 1] + data[line_end + 1 :]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.integers(0, len(SAMPLES) - 1),
    how=st.sampled_from(["truncate", "overwrite", "insert", "double_line"]),
    at=st.floats(0, 1),
    junk=st.binary(min_size=1, max_size=40)
    | st.sampled_from([b";", b"\n", b"\r\n", b";;;", b"\x00", b"=", b"<", b"#"]),
)
def test_a_damaged_file_is_read_whole_or_refused_whole(home, which: int, how: str, at: float, junk: bytes) -> None:
    config, engine, root = home
    sample, _, _ = SAMPLES[which]
    work = root / "work" / f"{which}-{how}"
    work.mkdir(parents=True, exist_ok=True)
    path = work / sample.name
    path.write_bytes(_damage(sample.read_bytes(), how, at, junk))
    intake = take_in(config, engine, f"c{which}", path, work / "out")  # raises nothing but bugs
    assert intake.status in (PARSED, BAD_FILE)
    if intake.status == BAD_FILE:
        assert intake.reason.strip()
    else:
        assert intake.records == intake.lines + intake.non_payment_lines
    shutil.rmtree(work)


@pytest.mark.parametrize(("sample", "fmt", "dialect"), SAMPLES, ids=[s[0].name for s in SAMPLES])
def test_the_undamaged_samples_are_read(home, sample: Path, fmt: str, dialect: str | None) -> None:
    config, engine, root = home
    which = SAMPLES.index((sample, fmt, dialect))
    path = root / f"whole-{which}" / sample.name
    path.parent.mkdir(exist_ok=True)
    shutil.copy(sample, path)
    intake = take_in(config, engine, f"c{which}", path, path.parent / "out")
    assert intake.status == PARSED, intake.reason
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM register")).scalar() == 0  # intake writes no row


def test_a_damaged_legacy_workbook_that_would_abort_the_reader_is_refused(home) -> None:
    """Six bytes overwritten in an .xls made calamine ask for 29 GB and abort the process; read first
    by a capped child, the file is refused whole and the run goes on."""
    config, engine, root = home
    which = next(i for i, s in enumerate(SAMPLES) if s[0].name == "sheet_portal_biff8.xls")
    data = SAMPLES[which][0].read_bytes()
    path = root / "abort" / "portal.xls"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data[:2680] + bytes.fromhex("a6d34d43f480") + data[2686:])
    intake = take_in(config, engine, f"c{which}", path, path.parent / "out")
    assert intake.status == BAD_FILE
    assert "not a readable XLS workbook: the reader failed on its damaged structure (memory allocation" in intake.reason
