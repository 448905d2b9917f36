"""Citizen-facing texts the actions compose (fixed texts live in the domain).

Polite Indonesian, "Bapak/Ibu", short lines that read well on a small phone.
"""

from __future__ import annotations

PIN_ADDRESS = "Titik lokasi ({lat:.5f}, {lon:.5f})"

SUMMARY = (
    "Mohon periksa laporan Bapak/Ibu:\n"
    "• Kategori: {category}\n"
    "• Lokasi: {address}\n"
    "• Keterangan: {description}\n"
    "• Foto: {photo}\n"
    "Apakah sudah benar?"
)

CREATED = (
    "✅ Laporan Bapak/Ibu sudah kami terima.\n"
    "Nomor tiket: *{ticket}*\n"
    "Ditangani oleh: {department}\n"
    "Perkiraan selesai: {due}\n"
    "Simpan nomor tiket ini untuk mengecek status (ketik: cek {ticket})."
)

QUEUED = (
    "Mohon maaf, sistem tiket kota sedang tidak dapat dihubungi. "
    "Laporan Bapak/Ibu sudah kami simpan dan akan dikirim otomatis begitu sistem pulih. "
    "Kami akan mengabari Bapak/Ibu di percakapan ini: nomor tiketnya bila sudah masuk, "
    "atau penjelasan bila laporan tidak dapat diterima."
)

QUEUED_FILED = (
    "✅ Laporan Bapak/Ibu yang tadi tertunda sudah masuk.\n"
    "Nomor tiket: *{ticket}*\nDitangani oleh: {department}\nPerkiraan selesai: {due}"
)

QUEUED_REFUSED = (
    "Mohon maaf, laporan Bapak/Ibu yang tadi kami simpan ternyata tidak dapat diterima "
    "sistem tiket kota: {reason}.\n"
    "Laporan tersebut *belum* tercatat. Mohon kirim ulang laporan Bapak/Ibu dengan "
    "keterangan yang diperbaiki. Untuk keadaan darurat, segera telepon 112."
)

QUEUED_DEAD = (
    "Mohon maaf, laporan Bapak/Ibu yang tadi kami simpan belum berhasil masuk ke sistem "
    "tiket kota karena gangguan yang berlangsung lama.\n"
    "Laporan tersebut *belum* tercatat. Mohon kirim ulang laporan Bapak/Ibu beberapa saat "
    "lagi. Untuk keadaan darurat, segera telepon 112."
)

RATE_LIMITED = (
    "Mohon maaf, dari nomor ini sudah banyak laporan dalam satu jam terakhir. "
    "Silakan coba lagi nanti. Untuk keadaan darurat, segera telepon 112."
)

REJECTED = "Mohon maaf, laporan belum dapat dikirim: {reason}. Silakan ulangi laporan Bapak/Ibu."

INCOMPLETE = "Mohon maaf, laporan belum lengkap (kategori, lokasi dan keterangan wajib diisi)."

OUTSIDE_CITY = (
    "Titik lokasi yang Bapak/Ibu kirim berada di luar Kota Kediri. "
    "Layanan Lapor Mbak Wali melayani wilayah Kota Kediri. "
    "Mohon kirim lokasi lain atau ketik alamatnya."
)

PIN_RECEIVED = "📍 Lokasi diterima: Kelurahan {kelurahan}, Kecamatan {kecamatan}."

STATUS_LINE = (
    "*{ticket}* ({service})\n"
    "Status: {status}\n"
    "{note_line}"
    "Ditangani oleh: {department}\n"
    "Dilaporkan: {requested}"
)

STATUS_NOT_FOUND = (
    "Mohon maaf, tiket {ticket} tidak kami temukan. "
    "Mohon periksa kembali nomornya (contoh: KDR-2026-000123)."
)

NO_TICKETS = (
    "Belum ada laporan dari nomor/percakapan ini. "
    "Jika Bapak/Ibu menyimpan nomor tiket, ketik misalnya: cek KDR-2026-000123"
)

BACKEND_DOWN_STATUS = (
    "Mohon maaf, status laporan belum dapat dicek karena sistem sedang gangguan. "
    "Silakan coba beberapa saat lagi."
)
