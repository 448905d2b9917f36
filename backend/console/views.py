"""Rendering console pages: the layout's context (who is signed in, the
menu their roles open, the CSRF token) and the error page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, FrozenSet, List, Optional

from sanic.request import Request
from sanic.response import HTTPResponse

from backend import people, render


@dataclass(frozen=True)
class MenuItem:
    href: str
    label: str
    description: str
    roles: FrozenSet[str]


# The console's menu, in order; each page module's entry names the roles that
# may open it (the same roles its routes allow). Later pages add theirs here.
MENU: List[MenuItem] = [
    MenuItem(
        "/console/incidents",
        "Darurat 112",
        "Kejadian darurat dari chat warga: terima, hubungi instansi, selesaikan.",
        frozenset({"operator", "operator_supervisor"}),
    ),
    MenuItem(
        "/console/panggilan",
        "Panggilan 112",
        "Penelepon 112 di antrean: ambil panggilan, telepon balik yang terputus, pilah jenisnya.",
        frozenset({"operator", "operator_supervisor"}),
    ),
    MenuItem(
        "/console/tickets",
        "Laporan dinas",
        "Antrean laporan warga untuk dinas: baru, diproses, terlambat; peta dan status.",
        frozenset({"staff", "staff_head", "triage", "admin"}),
    ),
    MenuItem(
        "/console/replies",
        "Balasan siap pakai",
        "Catatan siap pakai dinas untuk pelapor; diatur oleh kepala dinas.",
        frozenset({"staff", "staff_head", "admin"}),
    ),
    MenuItem(
        "/console/conversations",
        "Percakapan",
        "Baca percakapan warga dengan bot (cari dengan nomor laporan atau pseudonim).",
        frozenset({"triage", "admin"}),
    ),
    MenuItem(
        "/console/nlu/inbox",
        "Kotak masuk bot",
        "Pesan warga yang membuat bot ragu: tetapkan maksudnya agar bot belajar.",
        frozenset({"editor"}),
    ),
    MenuItem(
        "/console/nlu",
        "Data latih bot",
        "Contoh kalimat per maksud (intent): cari, tambah, ubah, hapus, tandai entitas.",
        frozenset({"editor"}),
    ),
    MenuItem(
        "/console/nlu/models",
        "Model bot",
        "Latih model baru, bandingkan angkanya, pasang atau kembalikan model lama.",
        frozenset({"editor"}),
    ),
    MenuItem(
        "/console/monev",
        "Monev",
        "Angka monitoring dan evaluasi per periode: kanal, laporan dinas, darurat, 112, bot.",
        frozenset({"monev", "admin"}),
    ),
    MenuItem(
        "/console/users",
        "Pengguna",
        "Buat, ubah dan nonaktifkan akun konsol; atur ulang kata sandi.",
        frozenset({"admin"}),
    ),
    MenuItem(
        "/console/audit",
        "Jejak audit",
        "Siapa melakukan apa, kapan, pada data mana.",
        frozenset({"admin"}),
    ),
]


def current_item(path: str, items: List[MenuItem]) -> Optional[str]:
    """The href of the menu item the page belongs to: the longest matching prefix
    (/console/nlu/inbox is the inbox's, not also the training data's)."""
    matching = [i.href for i in items if path == i.href or path.startswith(i.href + "/")]
    return max(matching, key=len, default=None)


def menu_for(person: Optional[people.Person]) -> List[MenuItem]:
    if person is None:
        return []
    return [item for item in MENU if person.has(*item.roles)]


def show(request: Request, template: str, status: int = 200, **values: Any) -> HTTPResponse:
    """A console page with the layout's context filled in."""
    session = getattr(request.ctx, "session", None)
    person = session.person if session else None
    context = {
        "person": person,
        "csrf_token": session.csrf_token if session else "",
        "menu": menu_for(person),
        "menu_current": current_item(request.path, menu_for(person)),
        "path": request.path,
        "my_roles": ", ".join(people.ROLES[r] for r in sorted(person.roles)) if person else "",
        **values,
    }
    return render.page(template, context, status=status)


def error(request: Request, status: int, message: str) -> HTTPResponse:
    titles = {401: "Perlu masuk", 403: "Tidak diizinkan", 404: "Tidak ditemukan"}
    return show(
        request,
        "console/error.html",
        status=status,
        title=titles.get(status, "Terjadi kesalahan"),
        message=message,
    )
