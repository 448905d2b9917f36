"""What the system tells a citizen about their emergency, outside the bot's turns."""

from __future__ import annotations

OPERATOR = "Petugas 112"  # how an operator's words are signed in the chat

ACCEPTED = (
    "👩‍✈️ {name} dari 112 Kota Kediri sudah menangani laporan darurat Bapak/Ibu "
    "dan akan membalas di percakapan ini. Bila keadaan memburuk, segera telepon 112."
)
RESOLVED = (
    "✅ Laporan darurat Bapak/Ibu sudah ditutup oleh petugas 112.\n"
    "Catatan petugas: {note}\n"
    "Terima kasih. Bila ada keadaan darurat lagi, segera telepon 112."
)
NOBODY_YET = (
    "⚠️ Mohon maaf, belum ada petugas 112 yang menjawab laporan Bapak/Ibu di chat. "
    "Jangan menunggu: *segera telepon 112* (gratis, 24 jam). Laporan Bapak/Ibu tetap "
    "tercatat dan terus kami teruskan ke petugas."
)
# Said by Twilio's voice to the duty supervisor when no operator is signed in.
SUPERVISOR_CALL = (
    "Perhatian. Ada laporan darurat {label} di layanan chat Lapor Mbak Wali 112 "
    "yang belum diterima operator, dan tidak ada operator yang sedang masuk ke konsol. "
    "Mohon segera buka konsol 112."
)
# Said to the operator who asked for a call back, before the citizen's phone rings.
CALLBACK_INTRO = "Menghubungkan Anda dengan pelapor darurat nomor {incident}. Mohon tunggu."
