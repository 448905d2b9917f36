"""The form's questions that need data (summary, category menu) and cancelling."""

from __future__ import annotations

import logging
from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import details, latest, places, texts
from actions.backend_client import (
    BackendRejected,
    BackendUnavailable,
    Similar,
    TicketDialogueClient,
)
from actions.catalogue import catalogue, category_name
from actions.report import FOLLOW, REPORT_SLOTS, SKIPPED, Report
from actions.settings import ActionSettings, get_settings

logger = logging.getLogger(__name__)


class AskConfirmed(Action):
    """Shows the summary of the report before it is sent, and a similar open
    report the citizen may follow instead ("laporan serupa")."""

    def __init__(self, settings: Optional[ActionSettings] = None) -> None:
        self.settings = settings or get_settings()

    def name(self) -> Text:
        return "action_ask_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        report = Report.from_tracker(tracker)
        photo = tracker.get_slot("photo")
        text = texts.SUMMARY.format(
            category=category_name(tracker.get_slot("category")),
            address=report.address if report else "-",
            description=tracker.get_slot("description") or "-",
            photo="terlampir" if photo and photo != SKIPPED else "tidak ada",
        )
        service = details.service_of(tracker)
        if service:
            # The category's own answers, before "Apakah sudah benar?".
            lines = details.summary_lines(service, tracker.get_slot("attributes") or {})
            head, _, question = text.rpartition("\n")
            text = "\n".join([head, *lines, question])
        buttons = [{"title": "Ya, kirim", "payload": "/affirm"}]
        similar = await similar_report(self.settings, report) if report else None
        if similar:
            # Offered, never forced: the citizen may still file their own.
            text += texts.SIMILAR.format(
                ticket=similar.service_request_id, status=similar.status_label
            )
            title = f"Ikuti {similar.service_request_id}"
            buttons.append({"title": title, "payload": f'/affirm{{"{FOLLOW}": "1"}}'})
        buttons.append({"title": "Ada yang salah", "payload": "/deny"})
        dispatcher.utter_message(text=text, buttons=buttons)
        return [SlotSet("similar_ticket", similar.service_request_id if similar else None)]


async def similar_report(settings: ActionSettings, report: Report) -> Optional[Similar]:
    """An open ticket like this report (only with a pin: "near" needs a point).
    The offer is a help: without an answer from the backend there is none."""
    if report.latitude is None or report.longitude is None:
        return None
    prospect = {
        "service_code": report.category,
        "description": report.description,
        "latitude": report.latitude,
        "longitude": report.longitude,
    }
    try:
        return await TicketDialogueClient(settings).similar(prospect)
    except (BackendUnavailable, BackendRejected) as exc:
        logger.info("no similar-report lookup: %s", exc)
        return None


class AskCategory(Action):
    """The category question with one button per service."""

    def name(self) -> Text:
        return "action_ask_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(
            response="utter_ask_category",
            buttons=[
                {"title": service.name, "payload": f'/choose_category{{"category":"{code}"}}'}
                for code, service in catalogue().services.items()
            ],
        )
        return []


class AskFixField(Action):
    """Which part of the summary is wrong? One button per part, and cancel."""

    def name(self) -> Text:
        return "action_ask_fix_field"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        # Built here, not in the domain: Rasa would read the payloads' braces
        # as slot placeholders.
        parts = [("Kategori", "category"), ("Lokasi", "location"),
                 ("Keterangan", "description"), ("Foto", "photo")]  # fmt: skip
        service = details.service_of(tracker)
        if service and service.asked:
            parts.append(("Rincian", "details"))
        buttons = [
            {"title": title, "payload": f'/choose_field{{"field":"{field}"}}'}
            for title, field in parts
        ]
        buttons.append({"title": "Batalkan laporan", "payload": "/cancel_report"})
        dispatcher.utter_message(response="utter_ask_fix_field", buttons=buttons)
        return []


class AskLocation(Action):
    """ "Where?" as the category needs it: a street, a household, a school or a
    health facility (data/services.yml `place`)."""

    def name(self) -> Text:
        return "action_ask_location"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        service = details.service_of(tracker)
        dispatcher.utter_message(text=texts.ASK_PLACE[service.place if service else "street"])
        return []


class CancelReport(Action):
    def name(self) -> Text:
        return "action_cancel_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_report_cancelled")
        return [SlotSet(slot, None) for slot in REPORT_SLOTS]


class LocationReceived(Action):
    """A pin shared outside a report: where it is, kept for the report to come."""

    def name(self) -> Text:
        return "action_location_received"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        pin = places.pin_of(tracker)
        area = places.locate_pin(*pin) if pin else None
        if pin is None or area is None:
            dispatcher.utter_message(text=texts.OUTSIDE_CITY)
            return []
        dispatcher.utter_message(
            text=texts.PIN_RECEIVED.format(kelurahan=area.name, kecamatan=area.kecamatan)
        )
        dispatcher.utter_message(response="utter_location_without_problem")
        place = places.Place(
            location=texts.PIN_ADDRESS.format(lat=pin[0], lon=pin[1]),
            kelurahan=area.name,
            kelurahan_code=area.code,
            latitude=pin[0],
            longitude=pin[1],
        )
        return [SlotSet(slot, value) for slot, value in place.slots().items()]


class RememberLocation(Action):
    """A message that only gives a place: keep it, so the report that follows
    does not ask for it again, and ask what the problem is."""

    def name(self) -> Text:
        return "action_remember_location"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        place = places.from_entities(tracker) or places.from_text(latest.text(tracker))
        dispatcher.utter_message(response="utter_location_without_problem")
        if not (place.location or place.kelurahan):
            return []
        return [SlotSet(slot, value) for slot, value in place.slots().items()]
