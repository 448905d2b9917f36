"""The form step that asks a category's own questions (one generic step for
every attribute with a prompt in data/services.yml: adding a question needs no
code and no training).

Slot `attributes` holds the answers (code -> value, "-" when skipped); slot
`details` is the step itself: True once nothing is left to ask."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import answers, latest, places
from actions.catalogue import catalogue
from lapor.catalogue import Attribute, Service
from lapor.identity import METADATA_KEY, SealedNumber

ANSWER = "answer"  # the entity of an answer button: /choose_value{"answer": "pkh"}


def service_of(tracker: Tracker) -> Optional[Service]:
    return catalogue().service(tracker.get_slot("category") or "")


def extract(
    dispatcher: CollectingDispatcher, tracker: Tracker, skip: bool, not_an_answer: bool
) -> Dict[Text, Any]:
    """This turn's answers: entities in any message, and the typed or chosen
    answer to the question just asked. `skip` and `not_an_answer` are the form's
    reading of the message ("lewati"; a greeting or an emergency)."""
    service = service_of(tracker)
    if service is None:
        return {}
    before = answers.kept(service, tracker.get_slot("attributes") or {})
    found = {**before, **_from_entities(service, tracker, before)}
    question = answers.pending(service, found)
    asked = tracker.get_slot("requested_slot") == "details" and not not_an_answer
    explained = False
    # The question just asked, unless an entity of this very message answered it.
    if question and asked and question == answers.pending(service, before):
        typed = _typed(question, tracker, skip)
        if typed.problem:
            dispatcher.utter_message(text=typed.problem)
            explained = True
        elif typed.value is not None:
            found[question.code] = typed.value
    done = True if answers.pending(service, found) is None else None
    changed: Dict[Text, Any] = {}
    if found != (tracker.get_slot("attributes") or {}):
        changed["attributes"] = found
    if done != tracker.get_slot("details") or explained:
        # A wrong answer that was explained is still an answer to the question:
        # Rasa then asks it again, instead of treating the message as off-topic.
        changed["details"] = done
    return changed


def _from_entities(service: Service, tracker: Tracker, before: answers.Answers) -> answers.Answers:
    """Answers the citizen wrote without being asked ("BPNT ibu saya ...")."""
    found: answers.Answers = {}
    for attribute in service.asked:
        if attribute.code in before:
            continue
        if attribute.check == "nik":
            valid = [n for n in _sealed(tracker) if n.problem is None]
            if valid:
                found[attribute.code] = answers.sealed_value(valid[0])
            continue
        if attribute.entity is None:
            continue
        for value in places.entity_values(tracker, attribute.entity):
            checked = answers.from_entity(attribute, value)
            if checked is not None:
                found[attribute.code] = checked
                break
    return found


def _typed(question: Attribute, tracker: Tracker, skip: bool) -> answers.Checked:
    chosen = places.entity_values(tracker, ANSWER)
    if chosen:
        return answers.check(question, chosen[0], skip=chosen[0] == answers.SKIPPED)
    if question.check == "nik":
        return answers.check_sealed(question, _sealed(tracker), skip=skip)
    text = latest.text(tracker)
    # A photo or a pin sent instead of an answer is not a wrong answer.
    return answers.check(question, text, skip=skip) if text else answers.Checked()


def _sealed(tracker: Tracker) -> List[SealedNumber]:
    """The population numbers the channel sealed in the latest message."""
    raw = (tracker.latest_message.get("metadata") or {}).get(METADATA_KEY) or []
    found = [SealedNumber.from_metadata(item) for item in raw] if isinstance(raw, list) else []
    return [number for number in found if number is not None]


class AskDetails(Action):
    """Asks the category's next question: buttons for a value list, "Lewati"
    when it is optional."""

    def name(self) -> Text:
        return "action_ask_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        service = service_of(tracker)
        question = (
            answers.pending(service, tracker.get_slot("attributes") or {}) if service else None
        )
        if question is None or question.prompt is None:
            return []
        buttons = [_button(name, key) for key, name in question.values]
        if not question.required:
            buttons.append(_button("Lewati", answers.SKIPPED))
        dispatcher.utter_message(text=question.prompt, buttons=buttons)
        return []


def _button(title: str, value: str) -> Dict[str, str]:
    return {"title": title, "payload": f'/choose_value{{"{ANSWER}": "{value}"}}'}


def summary_lines(service: Service, values: Dict[str, Any]) -> List[str]:
    """'• Program bantuan: BPNT' for each question the category asks."""
    return [
        f"• {a.description}: {answers.shown(a, values[a.code])}"
        for a in service.asked
        if a.code in values
    ]
