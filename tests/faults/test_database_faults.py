"""PostgreSQL connections cut during a burst of reports (backend -> PostgreSQL link)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Dict, List, Tuple

import pytest

from tests.faults.stack import (
    QUEUED,
    QUEUED_FILED,
    RestCitizen,
    Stack,
    assert_told_the_truth,
    http_json,
    wait_until,
)

pytestmark = pytest.mark.e2e

# Each account may file 5 tickets an hour (MAX_TICKETS_PER_HOUR): 4 leaves room.
CLIENTS, REPORTS_EACH = 10, 4
PAUSE = 0.3  # seconds between one client's reports: the burst outlasts the cut's start


class Open311Client:
    """A well-behaved API client: one Idempotency-Key per report, retried on
    anything but an answer (no connection, 5xx) until the backend takes it."""

    def __init__(self, stack: Stack) -> None:
        self.url = f"{stack.backend.url}/open311/v2/requests.json"
        self.account = f"api-{uuid.uuid4().hex[:10]}"
        self.answers: List[Tuple[int, Any]] = []  # every answer, failures too
        self.created: List[str] = []

    def file(self, n: int, deadline: float) -> None:
        form = {
            "api_key": "test-api-key",
            "service_code": "waste",
            "description": f"sampah menumpuk, laporan {n} dari {self.account}",
            "address_string": "depan pasar Bandar, Kelurahan Bandar Lor",
            "account_id": self.account,
        }
        key = uuid.uuid4().hex
        while time.monotonic() < deadline:
            status, body = http_json("POST", self.url, form, **{"Idempotency-Key": key})
            self.answers.append((status, body))
            if status in (200, 201):
                self.created.append(body[0]["service_request_id"])
                return
            assert status == 0 or status >= 500, (status, body)  # never a refusal
            time.sleep(0.3)


def _burst(stack: Stack, cut_for: float) -> List[Open311Client]:
    clients = [Open311Client(stack) for _ in range(CLIENTS)]
    deadline = time.monotonic() + 60

    def run(client: Open311Client) -> None:
        for n in range(REPORTS_EACH):
            client.file(n, deadline)
            time.sleep(PAUSE)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    # Cut once the burst is flowing: some reports filed, most still to come.
    wait_until(lambda: any(c.created for c in clients), 30, "the first ticket of the burst")
    stack.pg.cut()
    time.sleep(cut_for)
    stack.pg.restore()
    for thread in threads:
        thread.join()
    return clients


def test_a_burst_of_api_reports_through_a_postgresql_cut_files_each_exactly_once(
    stack: Stack,
) -> None:
    clients = _burst(stack, cut_for=2)
    for client in clients:
        filed = stack.tickets_of_account(client.account)
        assert len(client.created) == REPORTS_EACH  # every report was answered
        assert sorted(t.service_request_id for t in filed) == sorted(client.created)
    failures = [a for c in clients for a in c.answers if a[0] not in (200, 201)]
    assert failures, "the cut never reached a request: the test proved nothing"


def test_reports_confirmed_in_chat_while_postgresql_is_cut_are_filed_once_and_told(
    stack: Stack,
) -> None:
    citizens = [RestCitizen(stack) for _ in range(2)]
    for citizen in citizens:
        citizen.say("sampah numpuk di depan pasar bandar kelurahan bandar lor")
        assert "Apakah sudah benar?" in citizen.say("lewati")
    stack.pg.cut()
    replies: Dict[str, str] = {c.sender: c.say("ya") for c in citizens}
    stack.pg.restore()
    for citizen in citizens:
        # The backend could not store it: the citizen hears it is kept, not a number.
        assert QUEUED in replies[citizen.sender]
        (ticket,) = wait_until(citizen.tickets, 45, "the kept report to be filed")
        assert ticket.service_request_id in citizen.wait_to_hear(QUEUED_FILED)
        assert len(citizen.tickets()) == 1
        assert_told_the_truth(citizen.conversation(), citizen.tickets())


def test_while_postgresql_is_cut_the_api_answers_503_in_the_open311_shape(
    stack: Stack,
) -> None:
    stack.pg.cut()
    try:
        status, body = http_json(
            "POST",
            f"{stack.backend.url}/open311/v2/requests.json",
            {
                "api_key": "test-api-key",
                "service_code": "waste",
                "description": "sampah menumpuk",
                "address_string": "Kelurahan Bandar Lor",
            },
            **{"Idempotency-Key": uuid.uuid4().hex},
        )
    finally:
        stack.pg.restore()
    assert status == 503, (status, body)
    assert isinstance(body, list) and body[0]["code"] == 503, body
    assert set(body[0]) == {"code", "description"}, body
