"""The backend unreachable in the middle of a submission (actions -> backend link)."""

from __future__ import annotations

import pytest

from tests.faults.stack import (
    QUEUED,
    QUEUED_FILED,
    RestCitizen,
    Stack,
    assert_told_the_truth,
    told_numbers,
    wait_until,
)

pytestmark = pytest.mark.e2e


def _up_to_the_summary(citizen: RestCitizen) -> None:
    assert "nomor pada tiang" in citizen.say("lampu jalan di gang 3 Bandar Lor mati sejak kemarin")
    assert "foto" in citizen.say("lewati").lower()  # no pole number
    assert "Apakah sudah benar?" in citizen.say("lewati")


def test_a_report_confirmed_while_the_backend_is_cut_is_kept_then_filed_once(
    stack: Stack,
) -> None:
    citizen = RestCitizen(stack)
    _up_to_the_summary(citizen)
    stack.backend_link.cut()
    kept = citizen.say("ya")
    assert QUEUED in kept and not told_numbers([kept])
    assert citizen.tickets() == []

    stack.backend_link.restore()
    (ticket,) = wait_until(citizen.tickets, 30, "the kept report to be filed")
    assert ticket.service_request_id in citizen.wait_to_hear(QUEUED_FILED)
    assert len(citizen.tickets()) == 1
    assert_told_the_truth(citizen.conversation(), citizen.tickets())


def test_a_ticket_whose_answer_was_lost_on_the_way_back_is_not_filed_twice(
    stack: Stack,
) -> None:
    # Every chunk held 2 s: the request reaches the backend (the ticket is
    # created) but its answer comes after the action server's 3 s timeout.
    citizen = RestCitizen(stack)
    _up_to_the_summary(citizen)
    stack.backend_link.delay(2)
    kept = citizen.say("ya")
    stack.backend_link.delay(0)
    assert QUEUED in kept and not told_numbers([kept])

    # The outbox files it again with the same idempotency key: the same ticket.
    told = citizen.wait_to_hear(QUEUED_FILED)
    (ticket,) = citizen.tickets()
    assert ticket.service_request_id in told
    assert_told_the_truth(citizen.conversation(), citizen.tickets())
