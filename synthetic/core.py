"""``generate``: one synthetic day of a settlement center, written to a directory, with a manifest.

Layout written under ``dir``: ``suppliers.csv``, ``charges.csv``, ``inbox/<channel>/`` registers
(``sber``: three Sber classic files; ``rshb``: one Sber multi-service file; ``online``: one ``|``
file with a header row; ``portal``: one XLSX; ``gis``: one ГИС ЖКХ XML), ``inbox/statements/`` the
bank statement (with ``payers=True`` also a handful of payers' own п/п, ``synthetic.payers``, when
the configuration has a channel for them), and ``manifest.json`` with the facts a test needs. A channel missing from the
configuration gets no register (``sber`` is required: it carries most planted defects).
The channels, agents, tariffs and the center's account come from ``dir/rkc.yaml`` when it exists,
else from the default configuration. Deterministic: one seed, one ``numpy`` generator, no clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from domain.commission import expected_commission
from domain.identifiers import inn
from parsers.yaml_load import safe_load
from rkc.config import CONFIG_NAME, Config, default_config_text, load_config, parse_config
from synthetic import payments as pay
from synthetic.gis import write_gis
from synthetic.manifest import build_manifest
from synthetic.methods import center_requisites
from synthetic.multiservice import write_multiservice
from synthetic.payers import PayerTransfer, payer_transfers
from synthetic.pipe import write_pipe
from synthetic.portal import write_portal
from synthetic.sber import RegisterFile, write_sber
from synthetic.statement import BankDay, Transfer, agent_transfer, write_statement
from synthetic.world import make_accounts, make_suppliers, make_world, month_before, write_charges, write_suppliers

DEFAULT_RUN_DATE = date(2026, 11, 20)
# accounts' habitual channels; the portal's share is capped (payments.PORTAL_CAP), sber takes the rest
SHARES = {"sber": 0.45, pay.MULTISERVICE: 0.08, pay.ONLINE: 0.07, "portal": 0.15, "gis": 0.25}
BAD_FOOTER_OFF = (1, 50_000)  # the spoilt footer claims one more line and 500.00 more


@dataclass(frozen=True)
class GeneratedDay:
    """The files of one generated day."""

    dir: Path
    run_date: date
    suppliers_csv: Path
    charges_csv: Path
    registers: list[Path]
    statements: list[Path]
    manifest: Path  # JSON: per file the defects planted, expected counts and sums (kopecks)
    next_day_statement: Path | None = None  # the next day's statement, with the late п/п; not in the inbox
    late_transfer: Transfer | None = None  # that late п/п, for a month to carry into the next day's statement
    closing: int = 0  # the statement's closing balance, kopecks
    payers: tuple[PayerTransfer, ...] = ()  # payers' own п/п in the statement (``payers=True``)


def _config(directory: Path) -> Config:
    if (directory / CONFIG_NAME).is_file():
        return load_config(directory)
    return parse_config(safe_load(default_config_text()), directory)


MIN_ACCOUNTS = 5


class GenerateError(ValueError):
    """The generator was asked for something it cannot make (too few accounts or payments)."""


def generate(dir: Path, *, accounts: int = 1000, payments: int = 5000, seed: int = 1,
             run_date: date | None = None, world_seed: int | None = None,
             bank: BankDay | None = None, payers: bool = False) -> GeneratedDay:  # fmt: skip
    """Write a synthetic center's day into ``dir`` (see the module doc); same seed, same bytes.

    ``run_date`` is the night of the run (default 2026-11-20): payments are of the day before,
    the billing period is the month before, the statement and the п/п are of ``run_date``.
    ``world_seed`` draws the suppliers, accounts and ПД from a generator of their own: days of one
    world (same ``world_seed`` and month, other ``seed`` and ``run_date``) are consecutive days of
    one center, its charges imported once; without it one generator draws everything, as always.
    ``bank`` (a day of ``synthetic.month``): the statement's opening balance and the documents it
    carries over from the days before, instead of a random opening and one debit to a supplier.
    ``payers``: the statement lists a handful of payers' own п/п too (``synthetic.payers``; drawn
    apart, so the other files stay the bytes they are without them), when the configuration has a
    channel of format ``statement`` to take them; the manifest's expectations count them.
    """
    if accounts < MIN_ACCOUNTS:
        raise GenerateError(f"need at least {MIN_ACCOUNTS} accounts, got {accounts}")
    if payments < pay.MIN_PAYMENTS:  # checked before a file is written, not half-way
        raise GenerateError(f"need at least {pay.MIN_PAYMENTS} payments to plant every defect, got {payments}")
    directory = Path(dir).resolve()  # rkc.yaml's paths come out absolute; the manifest is relative to this
    if directory.exists() and not directory.is_dir():
        raise GenerateError(f"{directory}: a file, not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    config = _config(directory)
    if "sber" not in config.channels:
        raise GenerateError(f"{directory / CONFIG_NAME}: no `sber` channel; the generator writes its registers there")
    run = run_date or DEFAULT_RUN_DATE
    op_day = run - timedelta(days=1)
    rng = np.random.default_rng(seed)
    world_rng = rng if world_seed is None else np.random.default_rng(world_seed)

    suppliers = make_suppliers(world_rng, accounts)
    world = make_world(world_rng, suppliers, make_accounts(world_rng, accounts), month_before(run))
    encoding, decimal = ("cp1251", ",") if world_rng.random() < 0.5 else ("utf-8", ".")
    suppliers_csv, charges_csv = directory / "suppliers.csv", directory / "charges.csv"
    write_suppliers(suppliers_csv, suppliers)
    write_charges(charges_csv, world, encoding=encoding, decimal=decimal)

    shares = {c: s for c, s in SHARES.items() if c in config.channels}
    plan = pay.plan_payments(rng, world, payments, shares)
    pay.assign_operations(rng, plan, op_day.strftime("%Y%m%d"))
    commission = np.zeros(len(plan.doc), dtype=np.int64)
    for name in np.unique(plan.channel):
        sel = plan.channel == name
        commission[sel] = expected_commission(plan.amount[sel], config.channels[name].tariff)

    numbers = iter(int(v) for v in rng.choice(np.arange(100, 9999), size=24, replace=False))
    files: list[RegisterFile] = []
    inbox = config.inbox
    for file_no in (pay.MAIN, pay.SECOND, pay.BAD_FOOTER):
        rows = plan.rows("sber", file_no)
        order = (str(next(numbers)), run)
        name = f"reestr_5230_{op_day:%d%m%Y}_{file_no + 1:02d}.txt"
        files.append(write_sber(inbox / "sber" / name, plan, rows, world, op_day=op_day, commission=commission,
                                rng=rng, register_no=str(next(numbers)), payment_order=order,
                                footer_off=BAD_FOOTER_OFF if file_no == pay.BAD_FOOTER else (0, 0)))  # fmt: skip
    # a channel without payments that day sends no register (a register without lines is a bad file)
    multi, online, portal, gis = (plan.rows(c) for c in (pay.MULTISERVICE, pay.ONLINE, "portal", "gis"))
    if len(multi):
        register_no, order = str(next(numbers)), (str(next(numbers)), run)
        files.append(write_multiservice(inbox / pay.MULTISERVICE / f"reestr_ms_{op_day:%d%m%Y}.txt", plan, multi,
                                        world, channel=pay.MULTISERVICE, op_day=op_day, commission=commission,
                                        register_no=register_no, payment_order=order))  # fmt: skip
    if len(online):
        files.append(write_pipe(inbox / pay.ONLINE / f"payments_{op_day:%Y%m%d}.csv", plan, online, world,
                                channel=pay.ONLINE, op_day=op_day, commission=commission, rng=rng,
                                register_no=str(next(numbers))))  # fmt: skip
    if len(portal):
        center = center_requisites(config.center_name, config.center_account, config.center_bic, config.center_inn,
                                   config.center_bank_name, config.center_corresp_account)  # fmt: skip
        planted = {int(r) for rows in plan.defects.values() for r in rows}
        files.append(write_portal(inbox / "portal" / f"portal_{op_day:%Y%m%d}.xlsx", plan, portal, world,
                                  op_day=op_day, rng=rng, register_no=str(next(numbers)), center=center,
                                  defects=planted))  # fmt: skip
    if len(gis):
        files.append(write_gis(inbox / "gis" / f"notifications_{op_day:%Y%m%d}.xml", plan, gis, world,
                               op_day=op_day, rng=rng, register_no=str(next(numbers))))  # fmt: skip
    for f in files:
        if f.payment_order is None:
            f.payment_order = (str(next(numbers)), run)

    # the late п/п: the portal's money has not arrived yet (else the last register's)
    late = next((f for f in files if f.channel == "portal"), files[-1])
    center_inn = _center_inn(rng)
    center = (config.center_name, center_inn, config.center_account)
    orders = _payment_orders(config, plan, files, center)
    transfers = [orders[f.path] for f in files if f is not late]
    direct = payer_transfers(seed, world, plan, run, center) if payers and config.direct_channel else []
    transfers += [p.transfer for p in direct]
    opening = int(rng.integers(50_000_000, 500_000_000))
    sup = suppliers.iloc[int(rng.integers(len(suppliers)))]
    debit = Transfer(str(int(rng.integers(1, 999))), run, opening // 3, False, center,
                     (sup["name"], sup["inn"], sup["bank_account"]),
                     f"Перечисление собранных платежей за ЖКУ по агентскому договору за {op_day:%d.%m.%Y}. "
                     "НДС не облагается", sup["bic"])  # fmt: skip
    if bank is None:
        transfers.append(debit)
    else:  # drawn all the same: the day's other files stay the bytes a lone day has
        opening, transfers = bank.opening, [*bank.transfers, *transfers]
    statement = write_statement(inbox / "statements" / f"kl_to_1c_{run:%Y%m%d}.txt", account=config.center_account,
                                bic=config.center_bic, day=run, opening=opening, transfers=transfers)  # fmt: skip
    # The late п/п arrives the next day: that statement is the next night's, so it waits outside the
    # inbox (next-day/statements/) for whoever wants to watch the register tie a night late.
    arrives = run + timedelta(days=1)
    late_transfer = orders[late.path]
    next_statement = write_statement(directory / "next-day" / "statements" / f"kl_to_1c_{arrives:%Y%m%d}.txt",
                                     account=config.center_account, bic=config.center_bic, day=arrives,
                                     opening=int(statement["closing"]), transfers=[late_transfer])  # fmt: skip

    manifest = directory / "manifest.json"
    facts = build_manifest(directory, seed=seed, run=run, op_day=op_day, world=world, plan=plan, files=files,
                           late=late, orders=orders, money_from=config.money_from, statement=statement,
                           next_statement=next_statement,
                           charges=(charges_csv, encoding, decimal), suppliers_csv=suppliers_csv,
                           center_inn=center_inn, commission=commission,
                           payers=(config.direct_channel, direct))  # fmt: skip
    manifest.write_text(json.dumps(facts, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return GeneratedDay(directory, run, suppliers_csv, charges_csv, [f.path for f in files],
                        [Path(statement["file"])], manifest, Path(next_statement["file"]), late_transfer,
                        int(statement["closing"]), tuple(direct))  # fmt: skip


def _payment_orders(config: Config, plan: pay.Plan, files: list[RegisterFile],
                    center: tuple[str, str, str]) -> dict[Path, Transfer]:  # fmt: skip
    """The п/п that carries each register's money (``_transfer``): its agent's; for a ГИС ЖКХ
    register whose money a bank pays (``money_from``, the default configuration's shape) a п/п of
    that bank apart (rule ``bank_transfer``, docs/RULES.md), never one from ГИС ЖКХ. The other shape,
    that money in the п/п of the bank's own register (rule ``with_bank``), tests build by hand
    (``tests/test_gis_money.py``, a recall of that register included)."""
    return {f.path: _transfer(config, plan, f, center) for f in files}


def _transfer(config: Config, plan: pay.Plan, f: RegisterFile, center: tuple[str, str, str]) -> Transfer:
    """The п/п that pays a register: its agent's. A ГИС ЖКХ channel configured with ``money_from`` has
    none: the bank pays its notifications by a п/п apart, less those its own register lists (the
    planted cross-channel copies: the bank's copy is the one kept, docs/RULES.md)."""
    bank = config.channels[f.channel].money_from
    if bank is None:
        return agent_transfer(config.channels[f.channel], center, f.payment_order[0], f.payment_order[1],
                              f.transfer, f.register_no, f.register_date)  # fmt: skip
    copies = [r for r in plan.defects.get("cross_channel_copy", []) if r in set(f.rows.tolist())]
    agent = config.channels[bank]
    purpose = f"Перечисление средств по извещениям ГИС ЖКХ за {f.register_date:%d.%m.%Y}. НДС не облагается"
    return Transfer(f.payment_order[0], f.payment_order[1], f.transfer - int(plan.amount[copies].sum()), True,
                    (agent.agent_name, agent.agent_inn, agent.agent_account), center, purpose)  # fmt: skip


def _center_inn(rng: np.random.Generator) -> str:
    base = "2608" + "".join(str(d) for d in rng.integers(0, 10, 5))
    return base + inn.calc_check_digits(base)
