"""The form's questions that need data (summary, category menu) and cancelling."""

from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import latest, places, texts
from actions.catalogue import catalogue, category_name
from actions.report import REPORT_SLOTS, SKIPPED, Report


class AskConfirmed(Action):
    """Shows the summary of the report before it is sent."""

    def name(self) -> Text:
        return "action_ask_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        report = Report.from_tracker(tracker)
        photo = tracker.get_slot("photo")
        dispatcher.utter_message(
            text=texts.SUMMARY.format(
                category=category_name(tracker.get_slot("category")),
                address=report.address if report else "-",
                description=tracker.get_slot("description") or "-",
                photo="terlampir" if photo and photo != SKIPPED else "tidak ada",
            ),
            buttons=[
                {"title": "Ya, kirim", "payload": "/affirm"},
                {"title": "Ada yang salah", "payload": "/deny"},
            ],
        )
        return []


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
        buttons = [
            {"title": title, "payload": f'/choose_field{{"field":"{field}"}}'}
            for title, field in parts
        ]
        buttons.append({"title": "Batalkan laporan", "payload": "/cancel_report"})
        dispatcher.utter_message(response="utter_ask_fix_field", buttons=buttons)
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
