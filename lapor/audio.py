"""Voice notes a citizen sends (WhatsApp records them as Ogg/Opus): which
audio types are taken, and whether a body really is one.

Shared by the WhatsApp channel (which refuses other types before
downloading them whole) and the backend (which checks the content itself,
since a declared type is only the sender's word). Audio is stored as sent:
nothing here decodes it, so the checks are the containers' magic bytes.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple

Check = Callable[[bytes], bool]


def _ogg(data: bytes) -> bool:
    return data.startswith(b"OggS")


def _id3(data: bytes) -> bool:
    # An ID3v2 tag goes before MPEG (and sometimes ADTS) frames.
    return data.startswith(b"ID3")


def _mpeg_frame(data: bytes) -> bool:
    # Frame sync (11 bits set) and a layer other than "reserved" (00).
    return len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06 != 0


def _adts(data: bytes) -> bool:
    # AAC's ADTS header: 12 sync bits, then layer 00.
    return len(data) >= 2 and data[0] == 0xFF and data[1] & 0xF6 == 0xF0


def _mp4(data: bytes) -> bool:
    # An ISO base media file opens with its `ftyp` box: 4 bytes of size, then the name.
    return data[4:8] == b"ftyp"


def _amr(data: bytes) -> bool:
    return data.startswith(b"#!AMR")


# Declared type -> what its first bytes may be. AAC arrives raw (ADTS) or in
# an MP4 container, depending on the phone.
SIGNATURES: Dict[str, Tuple[Check, ...]] = {
    "audio/ogg": (_ogg,),
    "audio/mpeg": (_id3, _mpeg_frame),
    "audio/mp4": (_mp4,),
    "audio/aac": (_adts, _id3, _mp4),
    "audio/amr": (_amr,),
}
AUDIO_TYPES = frozenset(SIGNATURES)


def base_type(content_type: Optional[str]) -> str:
    """'audio/ogg; codecs=opus' -> 'audio/ogg' (lower case; '' for None)."""
    return (content_type or "").split(";")[0].strip().lower()


def is_audio_type(content_type: Optional[str]) -> bool:
    """Whether a declared type is one of the voice note types taken."""
    return base_type(content_type) in AUDIO_TYPES


def matches(content_type: str, data: bytes) -> bool:
    """Whether `data` starts the way the declared audio type's files do."""
    checks = SIGNATURES.get(base_type(content_type), ())
    return any(check(data) for check in checks)
