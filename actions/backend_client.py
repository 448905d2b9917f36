"""Talks to the city backend through its Open311 API, and nothing else."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

import aiohttp
from yarl import URL

from actions.settings import ActionSettings
from lapor import http

logger = logging.getLogger(__name__)


class BackendUnavailable(Exception):
    """The backend did not answer (down, timeout, 5xx): worth retrying later."""


class BackendRejected(Exception):
    """The backend answered with an Open311 error: retrying will not help."""

    def __init__(self, status: int, descriptions: List[str]) -> None:
        super().__init__(f"{status}: {'; '.join(descriptions)}")
        self.status = status
        self.descriptions = descriptions


@dataclass(frozen=True)
class CreatedTicket:
    service_request_id: str
    agency_responsible: str
    expected: Optional[datetime]


@dataclass(frozen=True)
class TicketStatus:
    service_request_id: str
    service_name: str
    workflow_status: str
    status_label: str  # the backend's wording for citizens
    status_notes: Optional[str]
    agency_responsible: str
    requested: Optional[datetime]
    expected: Optional[datetime]
    address: Optional[str]


class Open311Client:
    def __init__(self, settings: ActionSettings) -> None:
        self._settings = settings
        self._base = f"{settings.backend_url}/open311/v2"

    async def create(self, form: Dict[str, Any], idempotency_key: str) -> CreatedTicket:
        data = {**form, "api_key": self._settings.open311_api_key}
        body = await self._call(
            "POST", "/requests.json", data=data, headers={"Idempotency-Key": idempotency_key}
        )
        item = body[0]
        return CreatedTicket(
            service_request_id=item["service_request_id"],
            agency_responsible=item.get("agency_responsible") or "",
            expected=_datetime(item.get("expected_datetime")),
        )

    async def get(self, service_request_id: str) -> Optional[TicketStatus]:
        try:
            body = await self._call("GET", f"/requests/{service_request_id}.json")
        except BackendRejected as exc:
            if exc.status == 404:
                return None
            raise
        return _status(body[0])

    async def of_account(self, account_id: str, limit: int = 3) -> List[TicketStatus]:
        params = {
            "account_id": account_id,
            "api_key": self._settings.open311_api_key,
            "limit": str(limit),  # newest first: a long-time reporter's list stays short
        }
        body = await self._call("GET", "/requests.json", params=params)
        return [_status(item) for item in body[:limit]]

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await call(method, self._base + path, self._settings.backend_timeout, **kwargs)


@dataclass(frozen=True)
class Similar:
    service_request_id: str
    status_label: str


class TicketDialogueClient:
    """The backend's /bot/v1: the citizen's answer to a staff question, their
    verdict on the closure check, and a similar report to follow (backend/bot_api.py)."""

    def __init__(self, settings: ActionSettings) -> None:
        self._root = f"{settings.backend_url}/bot/v1"
        self._base = f"{self._root}/tickets"
        self._timeout = settings.backend_timeout
        self._headers = {"Authorization": f"Bearer {settings.open311_api_key}"}

    async def answer(self, ticket: str, body: Dict[str, Any]) -> None:
        await self._post(f"{ticket}/answers", body)

    async def verdict(self, ticket: str, body: Dict[str, Any]) -> str:
        """The closure state the verdict led to (confirmed, reopened)."""
        answer = await self._post(f"{ticket}/closure", body)
        return str(answer.get("closure_state") or "")

    async def similar(self, prospect: Dict[str, Any]) -> Optional[Similar]:
        """The open ticket most like a report about to be filed, if any."""
        answer = await self._post("", prospect, url=f"{self._root}/similar")
        found = [t for t in answer.get("tickets") or [] if isinstance(t, dict)]
        if not found:
            return None
        return Similar(
            str(found[0]["service_request_id"]), str(found[0].get("workflow_status_label") or "")
        )

    async def follow(self, ticket: str, into: str) -> None:
        """Merges the citizen's just-filed `ticket` into the similar one they chose to follow."""
        await self._post(f"{ticket}/merge", {"into": into})

    async def _post(
        self, path: str, body: Dict[str, Any], url: Optional[str] = None
    ) -> Dict[str, Any]:
        url = url or f"{self._base}/{path}"
        answer = await call("POST", url, self._timeout, json=body, headers=self._headers)
        return answer if isinstance(answer, dict) else {}


async def call(method: str, url: str, timeout: float, **kwargs: Any) -> Any:
    """One request to the backend: its JSON body, or the error classified.

    Shared by every API of the backend the actions use (Open311, emergency
    incidents): they all answer errors as Open311 lists of descriptions.
    """
    try:
        async with http.session().request(
            method, url, timeout=aiohttp.ClientTimeout(total=timeout), **kwargs
        ) as response:
            body = await response.json(content_type=None)
            status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        # The backend's address only: a path may hold an incident's key or a
        # ticket number, which the logs have no need of.
        logger.warning("backend %s %s unavailable: %s", method, URL(url).origin(), exc)
        raise BackendUnavailable(str(exc) or type(exc).__name__) from exc
    if status >= 500:
        raise BackendUnavailable(f"HTTP {status}")
    if status >= 400:
        items = body if isinstance(body, list) else []
        descriptions = [str(e.get("description")) for e in items if isinstance(e, dict)]
        raise BackendRejected(status, descriptions or [f"HTTP {status}"])
    return body


def _status(item: Dict[str, Any]) -> TicketStatus:
    return TicketStatus(
        service_request_id=item["service_request_id"],
        service_name=item.get("service_name") or item.get("service_code") or "",
        workflow_status=item.get("workflow_status") or item.get("status") or "",
        status_label=item.get("workflow_status_label") or item.get("status") or "",
        status_notes=item.get("status_notes"),
        agency_responsible=item.get("agency_responsible") or "",
        requested=_datetime(item.get("requested_datetime")),
        expected=_datetime(item.get("expected_datetime")),
        address=item.get("address"),
    )


def _datetime(value: Optional[str]) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
