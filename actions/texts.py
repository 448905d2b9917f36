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

UNSURE_OFFER = (
    "Mohon maaf, kami belum yakin jenis aduan Bapak/Ibu. Silakan pilih kategori yang "
    "paling sesuai, atau laporkan saja: petugas kami yang akan memilah dan meneruskannya "
    "ke dinas yang tepat."
)

SIMILAR = (
    "\n\nℹ️ Laporan serupa di dekat lokasi ini sudah kami terima: *{ticket}* "
    "(status: {status}). Bapak/Ibu dapat mengikuti laporan itu (kabar perkembangannya "
    "akan kami kirim ke Bapak/Ibu juga), atau tetap mengirim laporan sendiri."
)

FOLLOWING = (
    "✅ Laporan Bapak/Ibu sudah kami terima (*{ticket}*) dan kami gabungkan dengan "
    "laporan serupa *{similar}* yang sedang ditangani {department}.\n"
    "Kabar perkembangan laporan {similar} akan kami kirim ke Bapak/Ibu juga "
    "(ketik: cek {similar})."
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

# The backend's reason is for developers (English, logged): not said to the citizen.
REJECTED = (
    "Mohon maaf, laporan Bapak/Ibu belum dapat kami terima karena isinya tidak sesuai "
    "dengan yang dibutuhkan sistem. Silakan ulangi laporan Bapak/Ibu."
)

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

# Emergencies: the one status line after the 112 call instruction and the
# advice. Each says only what happened to the incident (actions/incidents.py).
INCIDENT_ON_DUTY = (
    "👩‍✈️ Petugas 112 sedang dihubungkan. Mohon tetap di percakapan ini; "
    "petugas akan membalas di sini."
)

INCIDENT_ACCEPTED = (
    "👩‍✈️ Laporan darurat ini sudah ditangani petugas 112. Mohon tetap di percakapan ini; "
    "petugas akan membalas di sini."
)

INCIDENT_NOBODY_ON_DUTY = (
    "Laporan darurat Bapak/Ibu sudah kami catat, tetapi saat ini belum ada petugas 112 "
    "yang siaga di percakapan ini. Mohon segera telepon 112 sekarang."
)

INCIDENT_KEPT = (
    "Sambungan ke petugas 112 sedang terganggu. Laporan darurat Bapak/Ibu sudah kami simpan "
    "dan akan diteruskan ke petugas 112 begitu sambungan pulih. "
    "Mohon segera telepon 112 sekarang."
)

INCIDENT_NOT_SENT = (
    "Mohon maaf, laporan ini belum diteruskan ke petugas 112 lewat percakapan ini. "
    "Mohon segera telepon 112 sekarang."
)

PLACE_FORWARDED = (
    "📍 Lokasi kejadian ({where}) sudah kami teruskan ke petugas 112. "
    "Bila Bapak/Ibu menelepon 112, sebutkan juga lokasi ini."
)

PLACE_KEPT = (
    "📍 Lokasi kejadian ({where}) sudah kami simpan dan akan diteruskan ke petugas 112 "
    "begitu sambungan pulih. Mohon sebutkan lokasi ini saat menelepon 112."
)

# The citizen says it is over (safe now, a false alarm): only a 112 officer
# closes the incident, so the bot passes the word on and says so.
OVER_FORWARDED = (
    "Terima kasih kabarnya, Bapak/Ibu. Pesan ini sudah kami teruskan ke petugas 112. "
    "Laporan darurat tetap terbuka sampai petugas 112 menutupnya. "
    "Bila keadaan memburuk, segera telepon 112."
)

OVER_KEPT = (
    "Terima kasih kabarnya, Bapak/Ibu. Sambungan ke petugas 112 sedang terganggu; pesan ini "
    "sudah kami simpan dan akan diteruskan begitu sambungan pulih. Laporan darurat tetap "
    "terbuka sampai petugas 112 menutupnya. Bila keadaan memburuk, segera telepon 112."
)

OVER_NOT_SENT = (
    "Terima kasih kabarnya, Bapak/Ibu. Mohon maaf, pesan ini belum diteruskan ke "
    "petugas 112. Bila Bapak/Ibu sudah menelepon 112, mohon kabari petugas secara langsung. "
    "Bila keadaan memburuk, segera telepon 112."
)

OVER_NO_INCIDENT = (
    "Baik, Bapak/Ibu, terima kasih kabarnya. "
    "Bila ada keadaan darurat, segera telepon 112 (gratis, 24 jam)."
)

# -- the citizen answers the city about their ticket (actions/ticket_dialogue.py) --

ANSWER_SENT = (
    "Terima kasih, jawaban Bapak/Ibu sudah kami teruskan ke petugas "
    "yang menangani laporan {ticket}."
)
ANSWER_NOT_SENT = (
    "Mohon maaf, sistem tiket kota sedang tidak dapat dihubungi sehingga jawaban "
    "Bapak/Ibu untuk laporan {ticket} belum tersampaikan. Mohon kirim ulang jawabannya "
    "beberapa menit lagi."
)
ANSWER_REFUSED = (
    "Mohon maaf, jawaban untuk laporan {ticket} tidak dapat kami terima. "
    "Bila perlu, silakan buat laporan baru."
)
CLOSURE_UNCLEAR = "Mohon balas *sudah* bila masalahnya sudah beres, atau *belum* bila belum."
CLOSURE_THANKS = (
    "Terima kasih atas konfirmasi Bapak/Ibu. Laporan {ticket} kami nyatakan selesai. "
    "Bila masalah muncul lagi, silakan laporkan kembali."
)
CLOSURE_REOPENED = (
    "Mohon maaf masalahnya belum beres. Laporan {ticket} kami buka kembali dan "
    "keterangan Bapak/Ibu sudah kami teruskan ke petugas. Kami akan mengabari "
    "perkembangannya di percakapan ini."
)
CLOSURE_NOT_SENT = (
    "Mohon maaf, sistem tiket kota sedang tidak dapat dihubungi sehingga jawaban "
    "Bapak/Ibu untuk laporan {ticket} belum tersampaikan. Mohon balas *sudah* atau "
    "*belum* lagi beberapa menit lagi."
)
CLOSURE_CLOSED = (
    "Konfirmasi untuk laporan {ticket} sudah ditutup. Bila masalahnya muncul lagi, "
    "silakan buat laporan baru dan sebutkan nomor {ticket}."
)

# What the bot understood, before it asks anything else (actions/form.py).
UNDERSTOOD = "Baik, laporan {what}{where}."
UNDERSTOOD_ALSO = (
    "Saya juga membaca masalah {other}. Setelah laporan ini terkirim, "
    "saya tawarkan untuk melaporkannya juga di tempat yang sama."
)
# The other problem of the same message, offered once this report is filed.
OFFER_OTHER = "Bapak/Ibu juga menyebut masalah {other}. Mau dilaporkan juga di tempat yang sama?"

# "Where?" for each kind of place (data/services.yml `place`).
ASK_PLACE = {
    "street": (
        "Di mana lokasinya, Bapak/Ibu? Mohon sebutkan nama jalan/gang, RT/RW atau "
        "patokan, dan kelurahannya. Bisa juga dengan mengirim lokasi (share location) 📍"
    ),
    "household": (
        "Di kelurahan mana rumah yang bersangkutan, dan RT/RW berapa? "
        "Contoh: Bandar Lor RT 02 RW 05."
    ),
    "school": (
        "Di sekolah mana, Bapak/Ibu? Mohon tulis nama sekolahnya, "
        "contoh: SDN Bandar Lor 2 atau SMP Negeri 4 Kediri."
    ),
    "health": (
        "Di puskesmas atau rumah sakit mana, Bapak/Ibu? Jika masalahnya di rumah, "
        "mohon tulis kelurahan dan RT/RW-nya."
    ),
}
ASK_KELURAHAN = "Mohon sebutkan juga nama kelurahannya, Bapak/Ibu (contoh: Bandar Lor RT 02 RW 05)."

# Voice notes: the channel stored the file (backend/media.py), but nothing
# transcribes it yet, so the bot says so and asks for the words in writing.
VOICE_IN_REPORT = (
    "Mohon maaf, kami belum dapat mendengarkan pesan suara. Pesan suara Bapak/Ibu sudah "
    "kami simpan di percakapan ini; mohon jawab pertanyaan berikut dengan tulisan singkat. "
    "Untuk keadaan darurat, telepon 112."
)
VOICE_IN_EMERGENCY = (
    "Mohon maaf, kami belum dapat mendengarkan pesan suara. Pesan suara Bapak/Ibu sudah "
    "kami simpan di percakapan ini. Mohon tuliskan lokasi kejadian, atau bagikan lokasi "
    "(share location). Segera telepon 112 (gratis, 24 jam)."
)

# The reply to "Anda baru saja menelepon 112" after a silent call
# (actions/ghost_reply.py). Said only for what happened to the incident.
GHOST_REPLY_SENT = (
    "Terima kasih, Bapak/Ibu. Pesan Bapak/Ibu sudah kami teruskan ke petugas 112; petugas "
    "akan membalas di percakapan ini. Jika Bapak/Ibu bisa berbicara, segera telepon 112 "
    "(gratis, 24 jam)."
)
GHOST_REPLY_KEPT = (
    "Terima kasih, Bapak/Ibu. Sambungan ke petugas 112 sedang terganggu; pesan Bapak/Ibu "
    "sudah kami simpan dan akan sampai ke petugas 112 begitu sambungan pulih. Jika "
    "Bapak/Ibu bisa berbicara, segera telepon 112 sekarang."
)
# A reply that was only a voice note: filed all the same, and the words asked for.
GHOST_REPLY_VOICE = (
    "Kami belum dapat mendengarkan pesan suara: mohon tuliskan juga apa yang terjadi dan "
    "di mana, di percakapan ini."
)
