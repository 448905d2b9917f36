"""The city console at /console: server-rendered pages for 112 operators,
department staff, Diskominfo's triage, content editors, monitoring and
admins (roles: backend/people.py).

Every route is declared with `access.page`, naming the roles that may use
it; a test walks the route table and fails on a console route without one.
Pages render with backend/render.py (templates under backend/templates/
console/); live updates come over SSE (`events.py`, backend/live.py).
"""

from __future__ import annotations

from sanic import Blueprint
from sanic.blueprint_group import BlueprintGroup

from backend.console import (
    audit,
    auth,
    calls,
    conversations,
    events,
    incidents,
    monev,
    nlu_examples,
    nlu_inbox,
    nlu_models,
    replies,
    tickets,
    users,
)


def blueprint() -> BlueprintGroup:
    """Every console page, as one group for the app to register."""
    return Blueprint.group(
        auth.bp,
        events.bp,
        incidents.bp,
        calls.bp,
        tickets.bp,
        replies.bp,
        conversations.bp,
        users.bp,
        audit.bp,
        nlu_examples.bp,
        nlu_inbox.bp,
        nlu_models.bp,
        monev.bp,
    )
