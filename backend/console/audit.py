"""The audit log for admins: who did what, when, on which record; newest first,
a page at a time (the id is the cursor: "lebih lama" shows what came before
the last row), with filters on actor, action, record and a date range (WIB).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Select

from backend import people
from backend.console import views
from backend.console.access import page
from backend.context import context
from backend.tables import audit_log
from lapor.timeutil import WIB, aware

bp = Blueprint("console_audit", url_prefix="/console/audit")
PAGE_SIZE = 50
MAX_FIELD = 64
# Indonesian names of the actions recorded today; others show their code.
ACTIONS: Dict[str, str] = {
    "login": "Masuk",
    "logout": "Keluar",
    "login.failed": "Gagal masuk (kata sandi salah)",
    "user.create": "Membuat pengguna",
    "user.password": "Mengganti / mengatur ulang kata sandi",
    "user.enable": "Mengaktifkan akun",
    "user.disable": "Menonaktifkan akun",
    "user.roles": "Mengubah peran / dinas",
    "user.name": "Mengubah nama tampilan",
    "user.phone": "Mengubah nomor WhatsApp untuk peringatan",
    "retention.purge": "Menghapus data lewat masa simpan",
    "conversation.view": "Membaca percakapan",
    "incident.view": "Membuka kejadian darurat",
    "incident.callback": "Telepon balik ke pelapor darurat",
    "ticket.view": "Membuka laporan",
    "ticket.status": "Mengubah status laporan",
    "ticket.transfer": "Mengalihkan laporan ke dinas lain",
    "ticket.reveal_phone": "Membuka nomor pelapor",
    "ticket.merge": "Menggabungkan laporan duplikat",
    "ticket.ask": "Mengirim pertanyaan ke pelapor",
    "reply.add": "Menambah balasan siap pakai",
    "reply.edit": "Mengubah balasan siap pakai",
    "reply.delete": "Menghapus balasan siap pakai",
    "nlu.example.add": "Menambah contoh latih bot",
    "nlu.example.replace": "Mengubah contoh latih bot",
    "nlu.example.delete": "Menghapus contoh latih bot",
    "nlu.inbox.example": "Menjadikan pesan warga contoh latih",
    "nlu.inbox.ignored": "Mengabaikan pesan di kotak masuk bot",
    "nlu.training.request": "Meminta pelatihan model bot",
    "nlu.training.done": "Pelatihan model bot selesai",
    "nlu.training.failed": "Pelatihan model bot gagal",
    "nlu.model.deploy": "Memasang model bot",
    "nlu.model.refused": "Pemasangan model bot ditolak",
    "nlu.model.rollback": "Mengembalikan model bot sebelumnya",
}
RECORD_TYPES = {
    "user": "Pengguna",
    "conversation": "Percakapan",
    "incident": "Kejadian darurat",
    "ticket": "Laporan",
    "canned_reply": "Balasan siap pakai",
    "nlu_example": "Contoh latih bot",
    "conversation_event": "Pesan warga",
    "nlu_training": "Pelatihan model",
    "nlu_model": "Model bot",
}
TEXT_FIELDS = ("actor", "action", "record_type", "record_id")


@dataclass
class Filters:
    actor: str = ""
    action: str = ""
    record_type: str = ""
    record_id: str = ""
    since: str = ""  # YYYY-MM-DD, WIB, inclusive
    until: str = ""  # YYYY-MM-DD, WIB, inclusive
    before: Optional[int] = None  # the cursor: rows with a smaller id
    problems: List[str] = field(default_factory=list)

    def query(self, before: Optional[int] = None) -> str:
        """The filters as a query string (for the pager's links)."""
        values = {
            "actor": self.actor,
            "action": self.action,
            "record_type": self.record_type,
            "record_id": self.record_id,
            "dari": self.since,
            "sampai": self.until,
        }
        if before is not None:
            values["sebelum"] = str(before)
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def active(self) -> bool:
        return bool(self.query())


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    action: str
    label: Optional[str]
    record: str
    detail: str


@page(bp, "", {"admin"})
async def audit_page(request: Request, person: people.Person) -> HTTPResponse:
    filters = read_filters(request.args)
    entries: List[Entry] = []
    more = False
    if not filters.problems:
        entries, more = await find(context(request).engine, filters)
    return views.show(
        request,
        "console/audit.html",
        400 if filters.problems else 200,
        title="Jejak audit",
        filters=filters,
        entries=entries,
        older=filters.query(entries[-1].id) if more else None,
        actions=ACTIONS,
        page_size=PAGE_SIZE,
    )


def read_filters(args: Any) -> Filters:
    filters = Filters()
    for name in TEXT_FIELDS:
        value = " ".join((args.get(name) or "").split())
        if len(value) > MAX_FIELD or not value.isprintable():
            filters.problems.append(f"Isian “{_LABELS[name]}” terlalu panjang atau tidak sah.")
            value = ""
        setattr(filters, name, value)
    filters.actor = filters.actor.lower()
    filters.since = _date(args.get("dari"), "Dari tanggal", filters)
    filters.until = _date(args.get("sampai"), "Sampai tanggal", filters)
    if filters.since and filters.until and filters.since > filters.until:
        filters.problems.append("“Dari tanggal” harus sebelum atau sama dengan “Sampai tanggal”.")
    cursor = (args.get("sebelum") or "").strip()
    if cursor:
        if cursor.isascii() and cursor.isdigit() and len(cursor) < 19:
            filters.before = int(cursor)
        else:
            filters.problems.append("Tautan halaman tidak sah. Mohon mulai dari halaman pertama.")
    return filters


async def find(engine: AsyncEngine, filters: Filters) -> tuple[List[Entry], bool]:
    """One page of entries, newest first, and whether older ones exist."""
    query = _where(select(audit_log), filters)
    query = query.order_by(audit_log.c.id.desc()).limit(PAGE_SIZE + 1)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [_entry(row) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def _where(query: Select, filters: Filters) -> Select:
    if filters.actor:
        query = query.where(audit_log.c.actor == filters.actor)
    if filters.action:
        # "user" finds every user.* action as well as an action called "user".
        query = query.where(
            or_(
                audit_log.c.action == filters.action,
                audit_log.c.action.startswith(filters.action + ".", autoescape=True),
            )
        )
    if filters.record_type:
        query = query.where(audit_log.c.record_type == filters.record_type)
    if filters.record_id:
        query = query.where(audit_log.c.record_id == filters.record_id)
    if filters.since:
        query = query.where(audit_log.c.at >= _start_of(filters.since))
    if filters.until:
        query = query.where(audit_log.c.at < _start_of(filters.until) + timedelta(days=1))
    if filters.before is not None:
        query = query.where(audit_log.c.id < filters.before)
    return query


def _entry(row: Any) -> Entry:
    record = "/".join(str(part) for part in (row.record_type, row.record_id) if part) or "-"
    detail = row.detail if isinstance(row.detail, dict) else {}
    return Entry(
        id=row.id,
        at=aware(row.at),
        actor=row.actor,
        action=row.action,
        label=ACTIONS.get(row.action),
        record=record,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
        if detail
        else "",
    )


def _date(raw: Optional[str], label: str, filters: Filters) -> str:
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        if len(text) != 10:  # date inputs send YYYY-MM-DD; nothing else is guessed
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        filters.problems.append(f"“{label}” bukan tanggal yang sah (contoh: 2026-11-29).")
        return ""


def _start_of(day: str) -> datetime:
    """Midnight WIB of a day, in UTC as stored (SQLite compares the stored text)."""
    return datetime.combine(date.fromisoformat(day), time(0), WIB).astimezone(timezone.utc)


_LABELS = {
    "actor": "Pelaku",
    "action": "Tindakan",
    "record_type": "Jenis data",
    "record_id": "ID data",
}
