"""Two replicas of every process behind HAProxy (scripts/cluster.py): one
conversation over both Rasa replicas, a replica of each process killed under
load, and an operator on one backend replica hearing what came through the other."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
import uuid
from typing import List, Tuple

import aiohttp
import pytest

from tests.backend.console.helpers import signed_in
from tests.cluster.harness import Cluster
from tests.fake_twilio import post_webhook
from tests.faults.stack import WhatsAppCitizen, told_numbers, wait_until
from tests.soak.traffic import COMPLAINTS
from tests.test_emergency_replicas import alerts, on_duty, stream

pytestmark = pytest.mark.cluster

# A complaint from the first message to the ticket: (message, what the bot asks next).
FILING = [(COMPLAINTS[0], "foto"), ("lewati", "Apakah sudah benar?"), ("1", "KDR-")]
EMERGENCY = "TOLONG ADA KEBAKARAN RUMAH di jalan dhoho kelurahan kemasan"


def send_to(citizen: WhatsAppCitizen, url: str, body: str) -> None:
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": citizen.sender,
        "To": "whatsapp:+14155238886",
        "NumMedia": "0",
        "Body": body,
    }
    post_webhook(url, form)


def test_one_conversation_over_both_rasa_replicas_keeps_its_order_and_is_answered_once(
    cluster: Cluster,
) -> None:
    citizen = WhatsAppCitizen(cluster)
    messages = [message for message, _ in FILING]
    # All three at once, alternately to each replica: the second and third
    # arrive while the first is still being understood.
    for i, message in enumerate(messages):
        send_to(citizen, cluster.replica(f"rasa-{i % 2 + 1}"), message)
    citizen.wait_for("KDR-", timeout=90)
    # The channel turns a numbered choice into its button's payload: "1" is
    # "Ya, kirim" only if the confirmation was shown before it was read.
    understood = [messages[0], "/deny", "/affirm"]
    # The reply goes out as the turn's action runs, a few ms before Rasa saves the turn.
    with contextlib.suppress(AssertionError):  # the assertion below shows the difference
        wait_until(lambda: cluster.tracker_user_messages(citizen.number) == understood, 10, "")
    assert cluster.tracker_user_messages(citizen.number) == understood
    (ticket,) = cluster.tickets_of_phone(citizen.number)
    heard = citizen.heard()
    assert set(told_numbers(heard)) == {ticket.service_request_id}
    # Answered once: each question once, the ticket once.
    assert sum("KDR-" in body for body in heard) == 1, heard
    assert sum("foto" in body for body in heard) == 1, heard
    assert sum("Apakah sudah benar?" in body for body in heard) == 1, heard
    wait_until(
        lambda: cluster.stored_user_messages(citizen.number) == understood,
        30,
        "the conversation in the pipeline's log, in order",
    )


async def _operators_on_each_backend(cluster: Cluster) -> Tuple[List[dict], int]:
    ani = await signed_in(cluster.database_url, f"ani-{uuid.uuid4().hex[:6]}", ["operator"])
    budi = await signed_in(cluster.database_url, f"budi-{uuid.uuid4().hex[:6]}", ["operator"])
    await on_duty(cluster.database_url, ani)
    await on_duty(cluster.database_url, budi)
    caller = WhatsAppCitizen(cluster)
    async with (
        aiohttp.ClientSession() as client,
        stream(client, cluster.replica("backend-1"), ani) as first,
        stream(client, cluster.replica("backend-2"), budi) as second,
    ):
        await asyncio.sleep(0.5)  # both streams are listening
        await asyncio.to_thread(caller.send, EMERGENCY)
        heard = await asyncio.gather(alerts(first, 1, timeout=30), alerts(second, 1, timeout=30))
    (incident,) = cluster.incidents_of(caller.number)
    return [alert for (alert,) in heard], incident.id


async def test_an_operator_on_either_backend_replica_hears_an_emergency_from_the_other(
    cluster: Cluster,
) -> None:
    heard, incident = await _operators_on_each_backend(cluster)
    # The incident was filed through one replica (HAProxy chose which); the
    # operators on both heard it, so one of them heard it through the other.
    assert [(a["incident_id"], a["change"]) for a in heard] == [(incident, "created")] * 2


class Filer(threading.Thread):
    """Citizens filing complaints through HAProxy, one after another until
    told to stop, each waiting for the bot's answer before the next message."""

    def __init__(self, cluster: Cluster, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.cluster, self.stop = cluster, stop
        self.citizens: List[WhatsAppCitizen] = []
        self.errors: List[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            citizen = WhatsAppCitizen(self.cluster)
            self.citizens.append(citizen)
            try:
                for message, expected in FILING:
                    before = len(citizen.heard())
                    citizen.send(message)
                    citizen.wait_for(expected, timeout=90, after=before)
            except Exception as exc:  # reported by the test, with the citizen's replies
                self.errors.append(f"{exc!r}; heard {citizen.heard()}")


def test_killing_one_replica_of_each_process_under_load_loses_nothing(
    cluster: Cluster,
) -> None:
    stop = threading.Event()
    filers = [Filer(cluster, stop) for _ in range(6)]
    callers = [WhatsAppCitizen(cluster) for _ in range(3)]
    for filer in filers:
        filer.start()
    callers[0].send(EMERGENCY)
    time.sleep(5)  # conversations are running on every replica
    callers[1].send(EMERGENCY)
    # A burst of new citizens, so that turns are in flight in the replicas
    # killed a moment later (a first message takes Rasa 100 ms and more).
    burst = [Filer(cluster, stop) for _ in range(6)]
    for filer in burst:
        filer.start()
    filers += burst
    time.sleep(0.05)
    for name in ("rasa-1", "actions-1", "backend-1", "consumer-1"):
        cluster.kill(name)
    callers[2].send(EMERGENCY)
    time.sleep(15)  # the survivors carry the load
    stop.set()
    for filer in filers:
        filer.join(timeout=240)
    citizens = [citizen for filer in filers for citizen in filer.citizens]
    failed = [error for filer in filers for error in filer.errors]
    assert not failed, failed
    assert len(citizens) >= 12  # the load went on through the kill

    # No report lost or doubled: each citizen has the one ticket they were told.
    for citizen in citizens:
        (ticket,) = citizen.tickets()
        assert set(told_numbers(citizen.heard())) == {ticket.service_request_id}
    # No incident lost or doubled, and each caller was told to ring 112.
    for caller in callers:
        caller.wait_for("112", timeout=60)

        def one_incident(phone: str = caller.number) -> bool:
            return len(cluster.incidents_of(phone)) == 1

        wait_until(one_incident, 60, "the caller's incident")
    # No message lost from the conversation log (the surviving consumer took
    # what the killed one had not acknowledged; redelivered events stored once).
    expected = [COMPLAINTS[0], "/deny", "/affirm"]  # the choices as their payloads
    for citizen in citizens:

        def all_stored(phone: str = citizen.number) -> bool:
            return cluster.stored_user_messages(phone) == expected

        with contextlib.suppress(AssertionError):  # the assertion below shows the difference
            wait_until(all_stored, 60, "the messages in the pipeline's log")
        assert cluster.stored_user_messages(citizen.number) == expected
    print(failover_summary(cluster, citizens, callers))


def failover_summary(
    cluster: Cluster, citizens: List[WhatsAppCitizen], callers: List[WhatsAppCitizen]
) -> str:
    """What the failover test did, for `make test-cluster -- -s` and the issue's note."""
    logs = cluster.folder / "logs"
    rasa = "".join(p.read_text() for p in logs.glob("rasa-*.log"))
    # The retries field of HAProxy's log line: "+1" when it went to another server.
    retried = re.findall(r"/\+\d+ ", (logs / "haproxy.log").read_text())
    return (
        f"failover: {len(citizens)} complaints filed, {3 * len(citizens)} messages, "
        f"{len(callers)} emergencies; {rasa.count('running it again')} WhatsApp messages "
        f"run again by the surviving Rasa; {len(retried)} requests HAProxy sent to the "
        f"other replica; every report, incident and message stored once"
    )
