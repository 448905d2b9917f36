"""The NLU's health: how often the bot did not understand or was unsure,
how often citizens took "laporkan saja" (a ticket for the triage team to
sort), and how much the editors taught it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, List, Tuple

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.monev.conversations import JUNK, Traffic
from backend.monev.period import Period
from backend.monev.stats import share
from backend.monev.table import COUNT, SHARE, Column, Table
from backend.tables import audit_log, tickets

UNSURE_ACTION = "action_unsure"  # the bot's "pilih kategori, atau laporkan saja" offer
TRIAGE_SERVICE = "other"  # "Lainnya": what a citizen files with "laporkan saja"
EXAMPLE_ACTIONS = ("nlu.example.add", "nlu.inbox.example")
DEPLOY_ACTION = "nlu.model.deploy"


@dataclass(frozen=True)
class Teaching:
    triage: int  # tickets filed as "Lainnya"
    tickets: int  # every ticket filed
    examples: int  # training examples the editors added
    deploys: int  # models deployed


async def teaching(conn: AsyncConnection, period: Period) -> Teaching:
    t, a = tickets.c, audit_log.c
    filed = select(
        func.count(), func.sum(case((t.service_code == TRIAGE_SERVICE, 1), else_=0))
    ).where(t.requested_at >= period.start, t.requested_at < period.end)
    audited = (
        select(a.action, func.count())
        .where(a.at >= period.start, a.at < period.end)
        .where(a.action.in_((*EXAMPLE_ACTIONS, DEPLOY_ACTION)))
        .group_by(a.action)
    )
    total, triage = (await conn.execute(filed)).one()
    actions: Counter[str] = Counter(dict((await conn.execute(audited)).all()))
    return Teaching(
        triage=int(triage or 0),
        tickets=int(total),
        examples=sum(actions[name] for name in EXAMPLE_ACTIONS),
        deploys=actions[DEPLOY_ACTION],
    )


def health(
    traffic: Tuple[Traffic, Traffic], taught: Tuple[Teaching, Teaching], unsure_below: float
) -> Table:
    now, before = traffic
    t_now, t_before = taught
    threshold = f"{unsure_below:.2f}".replace(".", ",")
    rows: List[Tuple[Any, ...]] = [
        ("Pesan warga", now.messages, None, before.messages),
        (
            "Tidak dipahami bot (fallback)",
            now.kinds[JUNK],
            share(now.kinds[JUNK], now.messages),
            before.kinds[JUNK],
        ),
        (
            f"Keyakinan rendah (di bawah {threshold})",
            now.unsure,
            share(now.unsure, now.messages),
            before.unsure,
        ),
        (
            "Bot menawarkan pilihan kategori / “laporkan saja”",
            now.actions[UNSURE_ACTION],
            None,
            before.actions[UNSURE_ACTION],
        ),
        (
            "Laporan “Lainnya” (laporkan saja, dipilah petugas)",
            t_now.triage,
            share(t_now.triage, t_now.tickets),
            t_before.triage,
        ),
        ("Contoh latih ditambah editor", t_now.examples, None, t_before.examples),
        ("Model bot baru dipasang", t_now.deploys, None, t_before.deploys),
    ]
    columns = (
        Column("Angka"),
        Column("Periode ini", COUNT),
        Column("Bagian", SHARE),
        Column("Periode sebelumnya", COUNT),
    )
    note = (
        "Bagian: dari pesan warga; untuk laporan “Lainnya”, dari semua laporan dinas. "
        "Pesan berkeyakinan rendah masuk ke Kotak masuk bot untuk dipilah editor."
    )
    return Table("nlu_kesehatan", "Kesehatan pemahaman bot (NLU)", columns, rows, note)
