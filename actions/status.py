"""Answer "what happened to my report?" by ticket number or by sender."""

from __future__ import annotations

import re
from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.backend_client import BackendUnavailable, Open311Client, TicketStatus
from actions.settings import ActionSettings, get_settings
from lapor.timeutil import date_id

TICKET = re.compile(r"\bkdr[\s\-/]*(\d{4})[\s\-/]*(\d{1,6})\b", re.IGNORECASE)


def ticket_number(text: str) -> Optional[str]:
    """'kdr 2026 123' -> 'KDR-2026-000123'."""
    match = TICKET.search(text or "")
    return f"KDR-{match.group(1)}-{int(match.group(2)):06d}" if match else None


def describe(status: TicketStatus) -> str:
    note = f"Catatan petugas: {status.status_notes}\n" if status.status_notes else ""
    return texts.STATUS_LINE.format(
        ticket=status.service_request_id,
        service=status.service_name,
        status=status.status_label,
        note_line=note,
        department=status.agency_responsible,
        requested=date_id(status.requested),
    )


class CheckStatus(Action):
    def __init__(self, settings: Optional[ActionSettings] = None) -> None:
        # rasa_sdk builds its actions without arguments: this process's settings then.
        self.settings = settings or get_settings()

    def name(self) -> Text:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        client = Open311Client(self.settings)
        entities = [str(value) for value in tracker.get_latest_entity_values("ticket_id")]
        wanted = ticket_number(" ".join(entities)) or ticket_number(
            tracker.latest_message.get("text") or ""
        )
        try:
            if wanted:
                status = await client.get(wanted)
                found = [status] if status else []
                if not found:
                    dispatcher.utter_message(text=texts.STATUS_NOT_FOUND.format(ticket=wanted))
                    return []
            else:
                found = await client.of_account(tracker.sender_id)
        except BackendUnavailable:
            dispatcher.utter_message(text=texts.BACKEND_DOWN_STATUS)
            return []
        if not found:
            dispatcher.utter_message(text=texts.NO_TICKETS)
            return []
        dispatcher.utter_message(text="\n\n".join(describe(s) for s in found))
        return []
