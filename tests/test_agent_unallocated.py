"""Money without its register (#18 item 5): an agent's п/п that no posted register claims is
received into agent_unallocated:<channel> and moved to agent:<channel> when its register is posted
and tied; on both databases, with a property over the order registers and п/п arrive in."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.ledger import EntryKind
from domain.records import DeclaredTotals
from domain.statuses import RegisterStatus
from rkc.config import Config, init_home
from rkc.tie import tie_out
from sql.agent_money import agent_balances, agent_items
from sql.entries import post_entry
from sql.ledger_queries import balances, check_ledger
from sql.registers import create_register
from tests.dbutil import empty_database

CENTER = "40702810900000000001"  # rkc init's center.bank_account
SBER_ACCOUNT, SBER_NAME, SBER_INN = "30101810400000000225", "ПАО Сбербанк", "7707083893"  # channel sber
SUPPLIER = "supplier:7701000001"
NIGHT = date(2026, 11, 20)
SLOW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _statement(day: date, orders: list[tuple[str, int]]) -> bytes:
    """A statement of the center's account for ``day`` with the agent's п/п (number, kopecks)."""
    d = f"{day:%d.%m.%Y}"
    total = sum(a for _, a in orders)
    docs = "".join(
        f"СекцияДокумент=Платежное поручение\nНомер={n}\nДата={d}\nСумма={a // 100}.{a % 100:02d}\n"
        f"ПлательщикСчет={SBER_ACCOUNT}\nПлательщик={SBER_NAME}\nПлательщикИНН={SBER_INN}\nПолучательСчет={CENTER}\n"
        f"Получатель=РКЦ\nДатаПоступило={d}\nНазначениеПлатежа=Реестр {n}\nКонецДокумента\n"
        for n, a in orders
    )  # fmt: skip
    text = ("1CClientBankExchange\nВерсияФормата=1.03\nКодировка=Windows\nОтправитель=Банк-клиент\n"
            f"ДатаСоздания={d}\nДатаНачала={d}\nДатаКонца={d}\nСекцияРасчСчет\nДатаНачала={d}\nДатаКонца={d}\n"
            f"РасчСчет={CENTER}\nНачальныйОстаток=0.00\nВсегоПоступило={total // 100}.{total % 100:02d}\n"
            f"ВсегоСписано=0.00\nКонечныйОстаток={total // 100}.{total % 100:02d}\nКонецРасчСчет\n"
            f"{docs}КонецФайла\n")  # fmt: skip
    return text.replace("\n", "\r\n").encode("cp1251")


def _receive(config: Config, day: date, orders: list[tuple[str, int]]) -> None:
    (config.statements_inbox / f"statement-{day.isoformat()}.txt").write_bytes(_statement(day, orders))


def _register(engine: sa.Engine, number: str, amount: int, order_day: date, night: date, status: str) -> int:
    """A register paid by п/п ``number`` of ``order_day``; a posted one has its payments' entry."""
    declared = DeclaredTotals(amount=amount, transfer=amount, commission=0, payment_order_number=number,
                              payment_order_date=order_day)  # fmt: skip
    with engine.begin() as conn:
        rid = create_register(conn, file=f"r{number}.txt", sha256=f"r{number}".ljust(64, "0"), channel="sber",
                              fmt="text", run_date=night, status=status, declared=declared)  # fmt: skip
        if status == RegisterStatus.POSTED:
            _post_payments(conn, rid, amount, night)
    return rid


def _post_payments(conn: sa.Connection, rid: int, amount: int, night: date) -> None:
    post_entry(conn, kind=EntryKind.PAYMENT, source_key=f"test-register:{rid}", value_date=night,
               postings=[("agent:sber", amount, None), (SUPPLIER, -amount, None)])  # fmt: skip


def _accept(engine: sa.Engine, rid: int, amount: int, night: date) -> None:
    """The quarantined register accepted: posted, its payments' entry written."""
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE register SET status = :s WHERE id = :id"), {"s": RegisterStatus.POSTED, "id": rid})
        _post_payments(conn, rid, amount, night)


def _kinds(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT kind FROM ledger_entry ORDER BY id")).all()]


def _agent_money(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {a: b for a, b in balances(conn).items() if a.startswith("agent")}


def test_a_quarantined_registers_transfer_waits_unallocated_then_moves(tmp_path: Path, engine: sa.Engine) -> None:
    config, _ = init_home(tmp_path / "home")
    rid = _register(engine, "11", 8_711_197, NIGHT, NIGHT, RegisterStatus.QUARANTINED)
    _receive(config, NIGHT, [("11", 8_711_197)])
    tie_out(config, engine, NIGHT)
    assert _agent_money(engine) == {"agent_unallocated:sber": 8_711_197}
    with engine.connect() as conn:
        items = agent_items(conn)
        assert agent_balances(conn)["account"].tolist() == ["agent_unallocated:sber"]
    assert items[["account", "kind", "number", "amount"]].values.tolist() == [
        ["agent_unallocated:sber", "transfer", "11", 8_711_197]
    ]
    tie_out(config, engine, NIGHT)  # a rerun of the night posts nothing new
    assert _kinds(engine) == [EntryKind.TRANSFER]

    later = NIGHT + timedelta(days=1)
    _accept(engine, rid, 8_711_197, later)
    tie_out(config, engine, later)
    assert _kinds(engine) == [EntryKind.TRANSFER, EntryKind.PAYMENT, EntryKind.ALLOCATION]
    assert _agent_money(engine) == {"agent_unallocated:sber": 0, "agent:sber": 0}
    tie_out(config, engine, later)
    assert len(_kinds(engine)) == 3
    with engine.connect() as conn:
        assert check_ledger(conn) == []
        assert agent_balances(conn).empty and agent_items(conn).empty


def test_a_transfer_tied_the_night_it_arrives_goes_straight_to_the_agent(tmp_path: Path, engine: sa.Engine) -> None:
    config, _ = init_home(tmp_path / "home")
    _register(engine, "12", 50_000, NIGHT, NIGHT, RegisterStatus.POSTED)
    _receive(config, NIGHT, [("12", 50_000)])
    tie_out(config, engine, NIGHT)
    assert _kinds(engine) == [EntryKind.PAYMENT, EntryKind.TRANSFER]
    assert _agent_money(engine) == {"agent:sber": 0}


def test_a_register_waiting_for_its_transfer_is_listed(tmp_path: Path, engine: sa.Engine) -> None:
    config, _ = init_home(tmp_path / "home")
    rid = _register(engine, "13", 70_000, NIGHT, NIGHT, RegisterStatus.POSTED)
    tie_out(config, engine, NIGHT)
    with engine.connect() as conn:
        items = agent_items(conn)
    assert items[["account", "kind", "ref", "amount"]].values.tolist() == [["agent:sber", "register", rid, 70_000]]


# Each register: its amount, the night it arrives, the night its п/п arrives, and whether it is
# quarantined first (then accepted some nights later).
REGISTERS = st.lists(
    st.tuples(st.integers(1, 10_000_000), st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)),
    min_size=1, max_size=4,
)  # fmt: skip


@SLOW
@given(registers=REGISTERS)
def test_whatever_the_order_paid_registers_leave_no_agent_money(engine: sa.Engine, registers) -> None:  # type: ignore[no-untyped-def]
    empty_database(engine)
    with tempfile.TemporaryDirectory() as home:
        config, _ = init_home(Path(home) / "home")
        ids: dict[int, int] = {}
        last = 3 + 2 + 1
        for n in range(last + 1):
            night = NIGHT + timedelta(days=n)
            for i, (amount, arrives, _, held) in enumerate(registers):
                order_day = NIGHT + timedelta(days=registers[i][2])
                if arrives == n:
                    status = RegisterStatus.QUARANTINED if held else RegisterStatus.POSTED
                    ids[i] = _register(engine, str(100 + i), amount, order_day, night, status)
                if held and arrives + held == n:
                    _accept(engine, ids[i], amount, night)
            orders = [(str(100 + i), r[0]) for i, r in enumerate(registers) if r[2] == n]
            if orders:
                _receive(config, night, orders)
            tie_out(config, engine, night)
        tie_out(config, engine, NIGHT + timedelta(days=last))  # a rerun posts nothing new
        kinds = _kinds(engine)
        assert kinds.count(EntryKind.TRANSFER) == len(registers) == kinds.count(EntryKind.PAYMENT)
        # a п/п that came before its register was posted waited unallocated, and only such a one
        early = sum(paid < arrives + held for _, arrives, paid, held in registers)
        assert kinds.count(EntryKind.ALLOCATION) == early
        assert set(_agent_money(engine).values()) <= {0}
        with engine.connect() as conn:
            assert check_ledger(conn) == []
            assert agent_balances(conn).empty and agent_items(conn).empty


def test_the_report_lists_agents_money_with_its_age(tmp_path: Path, engine: sa.Engine) -> None:
    from openpyxl import load_workbook

    from domain.agent_money import agent_money_rows
    from reports.run_report import RunReportData, write_run_report

    config, _ = init_home(tmp_path / "home")
    _register(engine, "14", 12_345, NIGHT, NIGHT, RegisterStatus.POSTED)  # its п/п not come yet
    _register(engine, "15", 8_711_197, NIGHT, NIGHT, RegisterStatus.QUARANTINED)
    _receive(config, NIGHT, [("15", 8_711_197)])
    tie_out(config, engine, NIGHT)
    later = NIGHT + timedelta(days=3)
    with engine.connect() as conn:
        rows = agent_money_rows(agent_balances(conn), agent_items(conn), later)
    assert rows[["account", "balance", "unexplained", "age_days"]].values.tolist() == [
        ["agent:sber", 12_345, 0, 3],
        ["agent_unallocated:sber", 8_711_197, 0, 3],
    ]
    assert rows["transfers"].tolist() == ["", "№ 15 от 20.11.2026: 87\xa0111,97"]
    assert rows["registers"][0].endswith("п/п № 14 от 20.11.2026: 123,45")

    empty = pd.DataFrame()
    registers = pd.DataFrame(columns=["register_id", "file", "channel", "status", "amount_total", "posted"])
    data = RunReportData(later, registers, empty, empty, empty, channel_names={"sber": "Сбербанк"}, agent_money=rows)
    xlsx, html = write_run_report(data, tmp_path / "out")
    sheet = list(load_workbook(xlsx)["Деньги агентов"].iter_rows(values_only=True))
    assert sheet[0][:4] == ("Счёт", "Что это", "Канал", "Сальдо")
    assert sheet[2][0] == "agent_unallocated:sber" and sheet[2][2] == "Сбербанк" and sheet[2][3] == 87_111.97
    assert "Деньги агентов" in html.read_text(encoding="utf-8")
