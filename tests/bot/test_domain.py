"""Domain rules that, broken, fail silently at run time."""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest
from rasa.shared.core.domain import Domain

from tests.servers import REPO_ROOT


@pytest.fixture(scope="module")
def domain() -> Dict[str, Any]:
    return Domain.load(str(REPO_ROOT / "bot" / "domain")).as_dict()


def test_no_slot_mapping_names_an_action(domain: Dict[str, Any]) -> None:
    # A custom mapping with `action:` also runs after every user message,
    # so the form's extraction would run twice per turn.
    named = [
        name
        for name, slot in domain["slots"].items()
        for mapping in slot["mappings"]
        if mapping.get("action")
    ]
    assert named == []


def test_no_response_button_payload_has_braces(domain: Dict[str, Any]) -> None:
    # Rasa reads {...} in responses as slot placeholders and mangles payloads.
    payloads = [
        button["payload"]
        for variants in domain["responses"].values()
        for variant in variants
        for button in variant.get("buttons", [])
    ]
    assert payloads and not [p for p in payloads if "{" in p]


def test_every_service_has_a_report_intent(domain: Dict[str, Any]) -> None:
    from actions.catalogue import catalogue

    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    missing = [c for c in catalogue().services if c != "other" and f"report_{c}" not in intents]
    assert missing == []


# Claims a text may make only when the system did it. A text may say what has
# NOT happened ("belum"). The texts in BACKED make such a claim and are said
# only when it is true: tests/actions/test_incidents.py shows each is sent only
# after the backend stored the incident or the action server's queue kept it.
UNBACKED_CLAIM = re.compile(
    r"(?<!belum )(kami catat|sudah dicatat|telah dicatat|kami teruskan|"
    r"diteruskan ke petugas|petugas (akan|segera) (datang|menghubungi))",
    re.IGNORECASE,
)


# Said only once the backend answered that it stored what they claim (the
# staff answer and the reopening: actions/ticket_dialogue.py, tested there).
BACKED = frozenset(
    {
        "INCIDENT_NOBODY_ON_DUTY",
        "INCIDENT_KEPT",
        "PLACE_FORWARDED",
        "PLACE_KEPT",
        "OVER_FORWARDED",
        "ANSWER_SENT",
        "CLOSURE_REOPENED",
        # Only once the backend took the incident (tests/actions/test_ghost_reply.py).
        "GHOST_REPLY_SENT",
    }
)


def _bot_texts(domain: Dict[str, Any]) -> List[str]:
    from actions import emergency, texts
    from bot.channels import whatsapp

    fixed = [v.get("text", "") for variants in domain["responses"].values() for v in variants]
    composed = [
        value
        for module in (texts, emergency, whatsapp)
        for name, value in vars(module).items()
        if isinstance(value, str) and " " in value and not (module is texts and name in BACKED)
    ]
    composed += list(emergency.ADVICE.values())
    return fixed + composed


def test_no_bot_text_claims_what_the_system_does_not_do(domain: Dict[str, Any]) -> None:
    texts = _bot_texts(domain)
    assert len(texts) > 30
    assert [t for t in texts if UNBACKED_CLAIM.search(t)] == []


def test_the_forms_the_backend_opens_exist_in_the_domain(domain: Dict[str, Any]) -> None:
    """A question or closure check opens a bot form by name (backend/notify.py): the
    form, the slot it asks and the slots it sets must be the domain's own."""
    from backend import notify

    opened = [
        notify.message("KDR-1", "selesai", "catatan", purpose).expects
        for purpose in (notify.QUESTION, notify.CLOSURE_CHECK)
    ]
    for expects in opened:
        assert expects is not None
        required = domain["forms"][expects.form]["required_slots"]
        assert expects.requested_slot == required[0]
        assert set(expects.slots) <= set(domain["slots"])
