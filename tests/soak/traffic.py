"""The soak's citizens and API clients, and the tally of what each was told.

Every report is made by a new identity (a REST sender, a WhatsApp number or
an API account), so at the end "one report, one ticket" is a count per
identity: 0 tickets where the citizen was given a number or told the report
is kept is a loss, more than 1 a duplicate.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Type

from tests.faults.stack import (
    NOT_RECORDED,
    QUEUED,
    TROUBLE,
    RestCitizen,
    Stack,
    WhatsAppCitizen,
    http_json,
    told_numbers,
)

# Two categories without questions of their own: the photo question comes next.
COMPLAINTS = (
    "selokan mampet di gang melati kelurahan bangsal, air meluber ke jalan",
    "sampah numpuk di depan pasar bandar kelurahan bandar lor",
)
ATTEMPTS = 4  # a citizen who hears nothing, or an apology, tries again this often
REPLY_TIMEOUT = 45.0


@dataclass
class Report:
    """One report in the soak: who made it and what they were told."""

    channel: str  # "rest", "whatsapp" or "api"
    identity: str  # account_id (REST, API) or phone number (WhatsApp)
    confirmed: bool = False  # the citizen said "yes, send it" (API: the POST was sent)
    heard: List[str] = field(default_factory=list)
    # REST only: the replies in the channel's answers (the conversation in the
    # tracker store can miss a turn whose save failed).
    replies: List[str] = field(default_factory=list)

    @property
    def promised(self) -> bool:
        """Told a ticket number or that the report is kept (and not told otherwise)."""
        said = self.heard
        return bool(told_numbers(said)) or (
            any(QUEUED in t for t in said) and not any(NOT_RECORDED in t for t in said)
        )


@dataclass
class Tally:
    messages: int = 0  # citizens' chat messages and API calls sent
    five_xx: int = 0  # 5xx answers seen by any client
    failures: int = 0  # calls that got no answer at all (connection refused, timeout)
    reports: List[Report] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            setattr(self, what, getattr(self, what) + n)

    def add(self, report: Report) -> Report:
        with self.lock:
            self.reports.append(report)
        return report


class Worker:
    """One simulated client, making reports one after another until `stop`."""

    def __init__(self, stack: Stack, tally: Tally, stop: threading.Event) -> None:
        self.stack, self.tally, self.stop = stack, tally, stop

    def run(self) -> None:
        raise NotImplementedError


class RestWorker(Worker):
    """Citizens on the REST channel."""

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            citizen = RestCitizen(self.stack)
            report = self.tally.add(Report("rest", citizen.sender))
            steps: List[tuple[str, str]] = [
                (COMPLAINTS[n % 2], "foto"),
                ("lewati", "Apakah sudah benar?"),
                ("ya", ""),
            ]
            for message, expected in steps:
                if message == "ya":
                    report.confirmed = True
                reply = self._say(citizen, message, expected)
                if reply is None:
                    break
            report.replies = citizen.heard
            time.sleep(1)  # the next citizen

    def _say(self, citizen: RestCitizen, message: str, expected: str) -> Optional[str]:
        """The reply, repeating the message while the bot apologises, fails or is silent."""
        for _ in range(ATTEMPTS):
            self.tally.count("messages")
            try:
                reply = citizen.say(message, timeout=REPLY_TIMEOUT)
            except urllib.error.HTTPError as exc:
                self.tally.count("five_xx" if exc.code >= 500 else "failures")
                reply = ""
            except OSError:
                self.tally.count("failures")
                reply = ""
            if reply and expected in reply:
                return reply
            if reply and "Mohon maaf" not in reply:
                return None  # an answer the script does not follow: a new report
            time.sleep(2)  # silence or an apology: the citizen tries again
        return None


class WhatsAppWorker(Worker):
    """Citizens on WhatsApp (signed webhooks; replies read at the fake Twilio)."""

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            citizen = WhatsAppCitizen(self.stack)
            report = self.tally.add(Report("whatsapp", citizen.number))
            steps = [(COMPLAINTS[n % 2], "foto"), ("lewati", "Apakah sudah benar?"), ("1", "")]
            for message, expected in steps:
                if message == "1":
                    report.confirmed = True
                if not self._say(citizen, message, expected):
                    break
            # Replies may still be on their way: the report's `heard` is read at the end.
            time.sleep(1)  # the next citizen

    def _say(self, citizen: WhatsAppCitizen, message: str, expected: str) -> bool:
        for _ in range(ATTEMPTS):
            before = len(citizen.heard())
            self.tally.count("messages")
            try:
                citizen.send(message)
            except urllib.error.HTTPError as exc:
                self.tally.count("five_xx" if exc.code >= 500 else "failures")
                time.sleep(2)
                continue
            except OSError:
                self.tally.count("failures")
                time.sleep(2)
                continue
            if not expected:
                return True
            outcome = _wait(citizen, before, expected)
            if outcome == "expected":
                return True
            if outcome == "other":
                return False
            # Silence or an apology: the citizen sends it again, as people do.
        return False


def _wait(citizen: WhatsAppCitizen, before: int, expected: str) -> str:
    deadline = time.monotonic() + REPLY_TIMEOUT
    while time.monotonic() < deadline:
        new = citizen.heard()[before:]
        if any(expected in body for body in new):
            return "expected"
        if any(TROUBLE in body for body in new):
            return "trouble"
        if new and not any("Mohon maaf" in body for body in new):
            # The bot answered something else; give it a moment to finish its turn.
            time.sleep(3)
            new = citizen.heard()[before:]
            return "expected" if any(expected in body for body in new) else "other"
        time.sleep(1)
    return "silence"


class ApiWorker(Worker):
    """An Open311 client: one Idempotency-Key per report, retried until answered."""

    def run(self) -> None:
        url = f"{self.stack.backend.url}/open311/v2/requests.json"
        while not self.stop.is_set():
            account = f"soak-api-{uuid.uuid4().hex[:10]}"
            report = self.tally.add(Report("api", account, confirmed=True))
            form = {
                "api_key": "test-api-key",
                "service_code": "waste",
                "description": "sampah menumpuk di depan pasar",
                "address_string": "depan pasar Bandar, Kelurahan Bandar Lor",
                "account_id": account,
            }
            key = uuid.uuid4().hex
            for _ in range(60):
                self.tally.count("messages")
                status, body = http_json("POST", url, form, **{"Idempotency-Key": key})
                if status in (200, 201):
                    report.heard.append(f"Nomor tiket: *{body[0]['service_request_id']}*")
                    break
                self.tally.count("five_xx" if status >= 500 else "failures")
                time.sleep(1)
            time.sleep(1)


WORKERS: Dict[str, Type[Worker]] = {
    "rest": RestWorker,
    "whatsapp": WhatsAppWorker,
    "api": ApiWorker,
}
