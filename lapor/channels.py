"""Channel names, in one table.

A ticket records the channel a citizen used (`whatsapp`, `web`, `phone`,
`open311`, `other`); Rasa names its input channels differently (`socketio`
and `rest` are both the web, `whatsapp` is ours). Every other module asks
here instead of comparing strings of its own.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Optional

WHATSAPP = "whatsapp"
WEB = "web"
PHONE = "phone"
OPEN311 = "open311"
OTHER = "other"

# What a ticket may record as its channel (the Open311 `channel` extension).
TICKET_CHANNELS: FrozenSet[str] = frozenset({WHATSAPP, WEB, PHONE, OPEN311, OTHER})
# Channels the city can write back to (lapor.outbound).
REACHABLE: FrozenSet[str] = frozenset({WHATSAPP, WEB})

# Rasa input channel name -> ticket channel.
_RASA: Dict[str, str] = {
    "whatsapp": WHATSAPP,
    "socketio": WEB,
    "webchat": WEB,
    "rest": WEB,
    "voice": PHONE,
}


def rasa_names() -> Dict[str, str]:
    """Rasa input channel name -> ticket channel (for code that maps them in SQL)."""
    return dict(_RASA)


def from_rasa(input_channel: Optional[str]) -> str:
    """The ticket channel of a Rasa input channel name (`other` when unknown)."""
    return _RASA.get((input_channel or "").lower(), OTHER)
