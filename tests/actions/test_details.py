"""The category's own questions (data/services.yml attributes) in the complaint form."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.catalogue
from actions import texts
from actions.answers import SKIPPED
from actions.catalogue import catalogue
from actions.details import AskDetails
from actions.form import ValidateReportForm
from actions.prompts import AskConfirmed, AskFixField, AskLocation
from actions.report import Report
from lapor.paths import SERVICES_FILE
from tests.actions.trackers import domain, entity, tracker


async def run_form(t: Any) -> tuple[Dict[str, Any], List[str]]:
    dispatcher = CollectingDispatcher()
    events = await ValidateReportForm().run(dispatcher, t, domain())
    return {e["name"]: e["value"] for e in events}, [m["text"] for m in dispatcher.messages]


async def ask(action: Any, t: Any) -> Dict[str, Any]:
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, t, domain())
    return dispatcher.messages[-1]


@pytest.fixture
def services_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable]:
    """The catalogue from an edited copy of data/services.yml (no code change)."""

    def use(edit: Callable[[str], str]) -> None:
        path = tmp_path / "services.yml"
        path.write_text(edit(SERVICES_FILE.read_text(encoding="utf-8")), encoding="utf-8")
        monkeypatch.setattr(actions.catalogue, "SERVICES_FILE", path)
        catalogue.cache_clear()

    yield use
    catalogue.cache_clear()


ROAD_KEYWORDS = (
    "    keywords: [jalan rusak, jalan berlubang, aspal, jembatan, trotoar, polisi tidur]\n"
)
ROAD_QUESTION = """    attributes:
      - code: hole_size
        description: Ukuran lubang
        datatype: singlevaluelist
        required: true
        prompt: Seberapa besar lubangnya?
        values:
          small: Kecil
          large: Besar
"""


def with_road_question(text: str) -> str:
    assert ROAD_KEYWORDS in text
    return text.replace(ROAD_KEYWORDS, ROAD_KEYWORDS + ROAD_QUESTION)


SOCIAL_OPENING = "bantuan BPNT ibu saya tidak cair 3 bulan"


async def test_an_answer_in_the_opening_message_is_not_asked_again() -> None:
    t = tracker(
        SOCIAL_OPENING,
        "report_social_aid",
        entities=[entity("programme", "BPNT", 8, 12)],
    )
    slots, messages = await run_form(t)
    assert slots["attributes"] == {"program": "bpnt"}
    assert slots.get("details") is None  # the NIK is still to offer
    # The household's place is still to ask: "ibu saya" is not a street.
    assert "location" not in slots
    assert messages == ["Baik, laporan bantuan sosial (BPNT)."]


async def test_the_first_reply_says_what_was_understood_with_the_place() -> None:
    t = tracker(
        "lampu jalan di gang 3 Bandar Lor mati",
        "report_street_light",
        entities=[entity("location", "gang 3", 15, 21), entity("kelurahan", "Bandar Lor", 22, 32)],
    )
    slots, messages = await run_form(t)
    assert messages == ["Baik, laporan lampu jalan di gang 3, Kel. Bandar Lor."]
    assert slots.get("details") is None  # the pole number is still to offer


async def test_an_optional_question_is_asked_with_a_skip_button() -> None:
    t = tracker("", "report_water", slots={"category": "water", "requested_slot": "details"})
    message = await ask(AskDetails(), t)
    assert "nomor pelanggan PDAM" in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["Lewati"]


async def test_a_typed_answer_is_kept_and_ends_the_questions() -> None:
    slots = {"category": "water", "requested_slot": "details", "attributes": {}}
    found, messages = await run_form(
        tracker("no pelanggan saya 01.02.03456", "inform", slots=slots)
    )
    assert found == {"attributes": {"customer_number": "01.02.03456"}, "details": True}
    assert messages == []


async def test_a_wrong_answer_is_explained_and_asked_again() -> None:
    slots = {"category": "water", "requested_slot": "details"}
    found, messages = await run_form(tracker("rumah saya yang cat hijau", "inform", slots=slots))
    # Still to answer; the explanation counts as the answer to this turn (asked again).
    assert found == {"details": None}
    service = catalogue().service("water")
    assert service is not None and messages == [service.asked[0].invalid]


async def test_skipping_an_optional_question_is_remembered_and_not_sent() -> None:
    slots = {"category": "water", "requested_slot": "details"}
    found, _ = await run_form(tracker("lewati", "deny", slots=slots))
    assert found == {"attributes": {"customer_number": SKIPPED}, "details": True}


async def test_a_value_list_offers_its_values_and_takes_a_button() -> None:
    t = tracker(
        "", "report_social_aid", slots={"category": "social_aid", "requested_slot": "details"}
    )
    message = await ask(AskDetails(), t)
    titles = [b["title"] for b in message["buttons"]]
    assert titles[:3] == ["PKH", "BPNT", "BLT"] and titles[-1] == "Lewati"
    pressed = message["buttons"][0]["payload"]
    found, _ = await run_form(
        tracker(
            pressed,
            "choose_value",
            entities=[entity("answer", "pkh")],
            slots={"category": "social_aid", "requested_slot": "details"},
        )
    )
    assert found["attributes"] == {"program": "pkh"}


async def test_a_question_added_to_services_yml_is_asked_checked_and_filed(services_with) -> None:
    services_with(with_road_question)
    base = {"category": "road", "location": "jl. kawi", "description": "lubang besar"}
    asking = {**base, "requested_slot": "details"}
    message = await ask(AskDetails(), tracker("", "report_road", slots=asking))
    assert message["text"] == "Seberapa besar lubangnya?"
    assert [b["title"] for b in message["buttons"]] == ["Kecil", "Besar"]  # required: no skip
    found, messages = await run_form(tracker("lewati", "deny", slots=asking))
    assert found == {"details": None} and messages == ["Maaf, ukuran lubang wajib diisi."]
    found, _ = await run_form(tracker("besar sekali", "inform", slots=asking))
    assert found == {"attributes": {"hole_size": "large"}, "details": True}
    done = {**base, **found, "photo": SKIPPED, "confirmed": True}
    report = Report.from_tracker(tracker("ya", "affirm", slots=done))
    assert report is not None and report.open311_form()["attribute[hole_size]"] == "large"


async def test_the_summary_shows_the_answers_and_can_reopen_them() -> None:
    slots = {
        "category": "social_aid",
        "location": "RT 02 RW 05",
        "kelurahan": "Bangsal",
        "description": SOCIAL_OPENING,
        "attributes": {"program": "bpnt"},
        "details": True,
        "photo": SKIPPED,
        "requested_slot": "confirmed",
    }
    summary = await ask(AskConfirmed(), tracker("", "report_social_aid", slots=slots))
    assert "• Program bantuan: BPNT\nApakah sudah benar?" in summary["text"]
    fix = await ask(AskFixField(), tracker("bukan", "deny", slots=slots))
    assert "Rincian" in [b["title"] for b in fix["buttons"]]
    found, _ = await run_form(
        tracker(
            "",
            "choose_field",
            entities=[entity("field", "details")],
            slots={**slots, "requested_slot": "fix_field", "correcting": True},
        )
    )
    assert found["attributes"] == {} and found["details"] is None


async def test_skipped_answers_stay_out_of_the_open311_form() -> None:
    slots = {
        "category": "water",
        "location": "jl. kawi",
        "description": "air mati",
        "attributes": {"customer_number": SKIPPED},
        "details": True,
        "photo": SKIPPED,
    }
    report = Report.from_tracker(tracker("ya", "affirm", slots=slots))
    assert report is not None
    assert not [k for k in report.open311_form() if k.startswith("attribute[")]


@pytest.mark.parametrize(
    ("category", "words"),
    [
        ("road", "nama jalan/gang"),
        ("social_aid", "Di kelurahan mana rumah"),
        ("civil_registry", "Di kelurahan mana rumah"),
        ("education", "Di sekolah mana"),
        ("health", "puskesmas atau rumah sakit"),
    ],
)
async def test_where_is_asked_as_the_category_needs(category: str, words: str) -> None:
    slots = {"category": category, "requested_slot": "location"}
    message = await ask(AskLocation(), tracker("", f"report_{category}", slots=slots))
    assert words in message["text"]


async def test_a_household_needs_its_kelurahan() -> None:
    asking = {"category": "social_aid", "requested_slot": "location", "details": True}
    found, messages = await run_form(
        tracker(
            "rt 2 rw 5", "inform_location", entities=[entity("rt_rw", "rt 2 rw 5")], slots=asking
        )
    )
    assert found.get("location") is None and messages == [texts.ASK_KELURAHAN]
    found, _ = await run_form(
        tracker(
            "bangsal rt 2 rw 5",
            "inform_location",
            entities=[entity("kelurahan", "Bangsal", 0, 7), entity("rt_rw", "rt 2 rw 5", 8, 17)],
            slots=asking,
        )
    )
    assert (found["location"], found["kelurahan"]) == ("rt 2 rw 5", "Bangsal")


async def test_a_school_is_named_as_the_list_spells_it_and_others_are_accepted() -> None:
    t = tracker(
        "pungutan uang gedung di smpn4 kediri",
        "report_education",
        entities=[entity("facility", "smpn4 kediri", 24, 36)],
    )
    found, _ = await run_form(t)
    assert found["location"] == "SMP Negeri 4 Kediri"
    asking = {"category": "education", "requested_slot": "location", "details": True}
    found, _ = await run_form(tracker("SD Al Hikmah Mojoroto", "inform_location", slots=asking))
    assert (found["location"], found["kelurahan"]) == ("SD Al Hikmah Mojoroto", "Mojoroto")


async def test_a_second_problem_is_named_and_kept_for_after_the_filing() -> None:
    text = "lampu jalan mati dan selokan mampet di depan rumah"
    t = tracker(text, "report_street_light", entities=[entity("location", "depan rumah", 39, 50)])
    found, messages = await run_form(t)
    assert found["other_problem"] == {
        "category": "drainage",
        "description": "selokan mampet di depan rumah",
    }
    assert messages[1] == texts.UNDERSTOOD_ALSO.format(other="saluran air")


async def test_taking_the_offer_starts_the_report_with_its_words_and_place() -> None:
    carried = {
        "category": "drainage",
        "description": "selokan mampet di depan rumah",
        "location": "depan rumah",
        "kelurahan": "Bangsal",
        "kelurahan_code": "35.71.03.1001",
        "latitude": None,
        "longitude": None,
    }
    t = tracker(
        '/choose_category{"category":"drainage"}',
        "choose_category",
        entities=[entity("category", "drainage")],
        slots={"other_problem": carried},
    )
    found, messages = await run_form(t)
    assert (found["category"], found["description"]) == ("drainage", carried["description"])
    assert (found["location"], found["kelurahan"]) == ("depan rumah", "Bangsal")
    assert found["other_problem"] is None  # spent
    assert messages == ["Baik, laporan saluran air di depan rumah, Kel. Bangsal."]


def sealed_message(text: str) -> tuple[str, Dict[str, Any]]:
    """The text and metadata Rasa gets from a channel (bot/channels/identity.py)."""
    from cryptography.fernet import Fernet

    from lapor.contact import ContactCipher
    from lapor.identity import METADATA_KEY, seal_numbers

    replaced, sealed = seal_numbers(text, ContactCipher(Fernet.generate_key()))
    return replaced, {METADATA_KEY: [n.as_metadata() for n in sealed]}


NIK_ASKED = {"category": "civil_registry", "requested_slot": "details"}


async def test_an_nik_is_kept_sealed_and_repeated_by_its_last_four_digits() -> None:
    text, metadata = sealed_message("nik saya 3571015708900001")
    found, messages = await run_form(tracker(text, "inform", slots=NIK_ASKED, metadata=metadata))
    assert messages == [] and found["details"] is True
    value = found["attributes"]["nik"]
    assert value["last4"] == "0001" and "3571015708900001" not in str(found)
    slots = {
        **NIK_ASKED,
        **found,
        "location": "RT 02 RW 05",
        "kelurahan": "Bangsal",
        "description": "KTP belum jadi",
        "photo": SKIPPED,
        "requested_slot": "confirmed",
    }
    summary = await ask(AskConfirmed(), tracker("", "inform", slots=slots))
    assert "• NIK yang bersangkutan: …0001 (tersegel)" in summary["text"]
    report = Report.from_tracker(tracker("ya", "affirm", slots={**slots, "confirmed": True}))
    assert report is not None and report.open311_form()["attribute[nik]"] == value["sealed"]


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("357101570890000", "yang Bapak/Ibu kirim 15 angka"),
        ("3571013002901234", "tanggal lahirnya tidak mungkin"),
        ("0000000000000000", "angka 0 semua"),
        ("nik saya lupa pak", "16 angka, seperti di KTP atau KK. Atau pilih Lewati."),
    ],
)
async def test_a_wrong_nik_is_explained_and_asked_again(typed: str, says: str) -> None:
    text, metadata = sealed_message(typed)
    found, messages = await run_form(tracker(text, "inform", slots=NIK_ASKED, metadata=metadata))
    assert found == {"details": None}
    assert len(messages) == 1 and says in messages[0]


async def test_an_nik_in_the_opening_message_is_not_asked_again() -> None:
    text, metadata = sealed_message("KTP elektronik saya belum jadi, NIK 3571015708900001")
    found, _ = await run_form(tracker(text, "report_civil_registry", metadata=metadata))
    assert found["attributes"]["nik"]["last4"] == "0001" and found["details"] is True
