"""Twilio answering 500 and 429 in storms while citizens report over WhatsApp."""

from __future__ import annotations

import threading
from typing import List

import pytest

from tests.faults.stack import Stack, WhatsAppCitizen, assert_told_the_truth, wait_until

pytestmark = pytest.mark.e2e


def _report(citizen: WhatsAppCitizen, errors: List[BaseException]) -> None:
    try:
        citizen.send("sampah numpuk di depan pasar bandar kelurahan bandar lor")
        citizen.wait_for("foto", timeout=90)
        citizen.send("lewati")
        citizen.wait_for("Apakah sudah benar?", timeout=90)
        citizen.send("1")  # "Ya, kirim"
        citizen.wait_for("Nomor tiket", timeout=90)
    except BaseException as exc:  # reported by the test, with the citizen's replies
        errors.append(exc)


def _in_parallel(citizens: List[WhatsAppCitizen]) -> List[BaseException]:
    errors: List[BaseException] = []
    threads = [threading.Thread(target=_report, args=(c, errors)) for c in citizens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_citizens_get_every_reply_through_a_short_storm_of_500s(stack: Stack) -> None:
    citizens = [WhatsAppCitizen(stack) for _ in range(3)]
    # Fewer failures than the channel's retries of one send.
    stack.twilio.storm(3, status=500)
    assert _in_parallel(citizens) == []
    for citizen in citizens:
        assert len(citizen.tickets()) == 1
        assert_told_the_truth(citizen.heard(), citizen.tickets())


def test_a_ticket_number_sent_during_a_long_429_storm_still_reaches_the_citizen(
    stack: Stack,
) -> None:
    citizen = WhatsAppCitizen(stack)
    citizen.send("sampah numpuk di depan pasar bandar kelurahan bandar lor")
    citizen.wait_for("foto")
    citizen.send("lewati")
    citizen.wait_for("Apakah sudah benar?")
    # Throttled for longer than one send's retries last: Twilio says when to
    # come back (1 s), and the number must reach the citizen once it lets up.
    stack.twilio.storm(6, status=429, retry_after=1)
    citizen.send("1")  # "Ya, kirim"
    (ticket,) = wait_until(citizen.tickets, 30, "the ticket")
    done = citizen.wait_for("Nomor tiket", timeout=12)
    assert ticket.service_request_id in done
    assert_told_the_truth(citizen.heard(), citizen.tickets())
