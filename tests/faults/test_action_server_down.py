"""The action server unreachable (Rasa -> action server link): what the citizen sees."""

from __future__ import annotations

import pytest

from tests.faults.stack import RestCitizen, Stack, assert_told_the_truth

pytestmark = pytest.mark.e2e


def test_a_citizen_is_told_when_the_action_server_is_down_and_can_report_after(
    stack: Stack,
) -> None:
    citizen = RestCitizen(stack)
    stack.actions_link.cut()
    reply = citizen.say("lampu jalan di gang 3 Bandar Lor mati sejak kemarin")
    stack.actions_link.restore()
    # Not silence, and no promise: an apology the citizen can act on.
    assert "Mohon maaf" in reply and "112" in reply, citizen.heard
    assert citizen.tickets() == []

    # Sent again, as the apology asks: the report goes through as if nothing happened.
    assert "nomor pada tiang" in citizen.say("lampu jalan di gang 3 Bandar Lor mati sejak kemarin")
    assert "foto" in citizen.say("lewati").lower()  # no pole number
    assert "Apakah sudah benar?" in citizen.say("lewati"), citizen.conversation()
    assert "Nomor tiket" in citizen.say("ya")
    assert len(citizen.tickets()) == 1
    assert_told_the_truth(citizen.conversation(), citizen.tickets())
