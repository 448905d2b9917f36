"""Rasa restarted mid-conversation with the production endpoints (Redis tracker store)."""

from __future__ import annotations

import pytest

from tests.faults.stack import RestCitizen, Stack, WhatsAppCitizen, assert_told_the_truth

pytestmark = pytest.mark.e2e


def test_conversations_go_on_after_rasa_restarts_and_file_once(stack: Stack) -> None:
    rest, whatsapp = RestCitizen(stack), WhatsAppCitizen(stack)
    assert "nomor pada tiang" in rest.say("lampu jalan di gang 3 Bandar Lor mati sejak kemarin")
    assert "foto" in rest.say("lewati").lower()  # no pole number
    whatsapp.send("sampah numpuk di depan pasar bandar kelurahan bandar lor")
    whatsapp.wait_for("foto")

    stack.restart_rasa()

    # Both conversations were in Redis: each goes on at the photo question.
    summary = rest.say("lewati")
    assert "Apakah sudah benar?" in summary and "Bandar Lor" in summary
    assert "Nomor tiket" in rest.say("ya")
    whatsapp.send("lewati")
    assert "pasar" in whatsapp.wait_for("Apakah sudah benar?").lower()
    whatsapp.send("1")  # "Ya, kirim"
    whatsapp.wait_for("Nomor tiket")

    for citizen in (rest, whatsapp):
        assert len(citizen.tickets()) == 1
    assert_told_the_truth(rest.conversation(), rest.tickets())
    assert_told_the_truth(whatsapp.heard(), whatsapp.tickets())
