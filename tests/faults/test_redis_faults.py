"""Redis cut during WhatsApp traffic (Rasa -> Redis link: the production tracker
and lock stores, and the WhatsApp channel's state)."""

from __future__ import annotations

import pytest

from tests.faults.stack import (
    TROUBLE,
    Stack,
    WhatsAppCitizen,
    assert_told_the_truth,
)

pytestmark = pytest.mark.e2e


def test_a_whatsapp_report_through_a_redis_cut_is_filed_once_and_the_citizen_told(
    stack: Stack,
) -> None:
    citizen = WhatsAppCitizen(stack)
    citizen.send("sampah numpuk di depan pasar bandar kelurahan bandar lor")
    citizen.wait_for("foto")

    stack.redis.cut()
    # Twilio is still answered at once, and the citizen is not left in silence.
    assert citizen.send("lewati") < 2
    heard = len(citizen.heard())
    citizen.wait_for(TROUBLE, timeout=30, after=heard)
    assert citizen.tickets() == []

    stack.redis.restore()
    # The conversation so far was kept in Redis: the citizen goes on from there.
    citizen.send("lewati")
    summary = citizen.wait_for("Apakah sudah benar?", timeout=60)
    assert "pasar bandar" in summary and "Bandar Lor" in summary
    citizen.send("1")  # "Ya, kirim"
    done = citizen.wait_for("Nomor tiket")
    (ticket,) = citizen.tickets()
    assert ticket.service_request_id in done
    assert_told_the_truth(citizen.heard(), citizen.tickets())
