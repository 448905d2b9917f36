"""Server-rendered pages: one Jinja2 environment for every HTML page of the
backend (the city console, the privacy notice), templates in backend/templates.

Autoescaping is on for every template: what citizens and staff typed is shown
as text, never as markup.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sanic.response import HTTPResponse, html

from lapor.mediaurls import MEDIA_PATH
from lapor.timeutil import WIB, aware

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Pages that show personal data or act for a person: never cached, never framed.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Scripts and styles from this backend only: no inline script can run.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def when(value: Optional[datetime], pattern: str = "d MMM yyyy HH.mm") -> str:
    """A time as people in Kediri read it: WIB, Indonesian month names."""
    if value is None:
        return "-"
    return str(format_datetime(aware(value).astimezone(WIB), pattern, locale="id"))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a misspelt name fails the test, not the citizen
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    # A message's voice notes as this site's /media/<id> paths (the CSP allows only 'self').
    env.filters["voice_paths"] = voice_paths
    return env


def voice_paths(data: Any) -> List[str]:
    """The /media/<id> paths of a message's "voice_urls" (backend/pipeline/events.py)."""
    urls = data.get("voice_urls") if isinstance(data, dict) else None
    if not isinstance(urls, list):
        return []
    found = (MEDIA_PATH.search(u) if isinstance(u, str) else None for u in urls)
    return [m.group(0) for m in found if m]


def page(
    template: str,
    context: Dict[str, Any],
    status: int = 200,
    headers: Optional[Dict[str, str]] = None,
) -> HTTPResponse:
    body = environment().get_template(template).render(**context)
    return html(body, status=status, headers={**PAGE_HEADERS, **(headers or {})})
