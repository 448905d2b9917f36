"""Send the confirmed report to the backend and tell the citizen the outcome."""

from __future__ import annotations

import logging
from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.backend_client import (
    BackendRejected,
    BackendUnavailable,
    CreatedTicket,
    Open311Client,
    TicketDialogueClient,
)
from actions.catalogue import catalogue
from actions.outbox import Outbox
from actions.report import PLACE_SLOTS, REPORT_SLOTS, Report, idempotency_key
from actions.settings import ActionSettings, get_settings
from lapor.timeutil import date_id

logger = logging.getLogger(__name__)


def created_text(ticket: CreatedTicket) -> str:
    return texts.CREATED.format(
        ticket=ticket.service_request_id,
        department=ticket.agency_responsible,
        due=date_id(ticket.expected),
    )


async def filed_text(settings: ActionSettings, ticket: str) -> str:
    """What the citizen is told when a report that waited for the backend was filed."""
    status = await Open311Client(settings).get(ticket)
    return texts.QUEUED_FILED.format(
        ticket=ticket,
        department=status.agency_responsible if status else "-",
        due=date_id(status.expected if status else None),
    )


def not_filed_text(reason: Optional[str]) -> str:
    """... and when it could not be: the backend's reason, or it stayed down too long."""
    return texts.QUEUED_REFUSED.format(reason=reason) if reason else texts.QUEUED_DEAD


class SubmitReport(Action):
    def __init__(self, settings: Optional[ActionSettings] = None) -> None:
        # rasa_sdk builds its actions without arguments: this process's settings then.
        self.settings = settings or get_settings()

    def name(self) -> Text:
        return "action_submit_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        reset = [SlotSet(slot, None) for slot in REPORT_SLOTS]
        report = Report.from_tracker(tracker)
        if report is None or tracker.get_slot("confirmed") is not True:
            # The form guarantees all three; never file a ticket without them.
            dispatcher.utter_message(text=texts.INCOMPLETE)
            return reset
        key = idempotency_key(tracker)
        try:
            ticket = await Open311Client(self.settings).create(report.open311_form(), key)
        except BackendUnavailable:
            await Outbox.shared(self.settings.outbox_url).put(report, key)
            dispatcher.utter_message(text=texts.QUEUED)
            return reset
        except BackendRejected as exc:
            logger.warning("backend refused a report: %s", exc)
            message = texts.RATE_LIMITED if exc.status == 429 else texts.REJECTED
            dispatcher.utter_message(text=message)
            return reset
        similar = tracker.get_slot("similar_ticket")
        if tracker.get_slot("follow_similar") and similar:
            followed = await self._follow(ticket, similar)
            if followed:
                dispatcher.utter_message(text=followed)
                return [*reset, SlotSet("last_ticket", similar)]
        dispatcher.utter_message(text=created_text(ticket))
        return [
            *reset,
            SlotSet("last_ticket", ticket.service_request_id),
            *offer_other(dispatcher, tracker),
        ]

    async def _follow(self, ticket: CreatedTicket, similar: str) -> Optional[str]:
        """Merges the new ticket into the similar one; the citizen's words, or None
        when that cannot be (closed meanwhile): then it stays a ticket of its own."""
        try:
            await TicketDialogueClient(self.settings).follow(ticket.service_request_id, similar)
        except (BackendUnavailable, BackendRejected) as exc:
            logger.info("the report stays on its own: %s", exc)
            return None
        return texts.FOLLOWING.format(
            ticket=ticket.service_request_id,
            similar=similar,
            department=ticket.agency_responsible,
        )


def offer_other(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Offers to file the message's second problem at the same place; the
    button starts a report that already has its words and place (actions/form.py)."""
    other = tracker.get_slot("other_problem")
    service = catalogue().service(other.get("category", "")) if isinstance(other, dict) else None
    if service is None:
        return [SlotSet("other_problem", None)]
    place = {s: tracker.get_slot(s) for s in ("location", *PLACE_SLOTS)}
    buttons = [
        {
            "title": "Ya, laporkan juga",
            "payload": f'/choose_category{{"category":"{service.code}"}}',
        },
        {"title": "Tidak", "payload": "/deny"},
    ]
    dispatcher.utter_message(
        text=texts.OFFER_OTHER.format(other=service.short_name), buttons=buttons
    )
    return [SlotSet("other_problem", {**other, **place})]


class NotifyQueuedReportFiled(Action):
    """Runs when the outbox filed a report that waited for the backend."""

    def __init__(self, settings: Optional[ActionSettings] = None) -> None:
        # rasa_sdk builds its actions without arguments: this process's settings then.
        self.settings = settings or get_settings()

    def name(self) -> Text:
        return "action_notify_report_filed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ticket = next(tracker.get_latest_entity_values("ticket_id"), None)
        if not ticket:
            return []
        dispatcher.utter_message(text=await filed_text(self.settings, ticket))
        return [SlotSet("last_ticket", ticket)]


class NotifyQueuedReportNotFiled(Action):
    """Runs when a report that waited for the backend could not be filed."""

    def name(self) -> Text:
        return "action_notify_report_not_filed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        # A refusal carries the backend's reason; without one the backend
        # stayed down past the retry cap.
        reason = next(tracker.get_latest_entity_values("reason"), None)
        dispatcher.utter_message(text=not_filed_text(reason))
        return []
