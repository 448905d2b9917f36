"""Reading what a console form posted: every value a string, nothing else."""

from __future__ import annotations

from typing import Any, List, Mapping

from sanic.request import Request

Form = Mapping[str, List[str]]


def form_of(request: Request) -> Form:
    """The posted form; an empty one when the body is not a form (the page then
    answers with the form's own problem, never a 500)."""
    try:
        form: Any = request.form
    except Exception:  # not a form body
        form = None
    if not form:
        return {}
    return {k: [v for v in values if isinstance(v, str)] for k, values in form.items()}


def one(form: Form, name: str) -> str:
    """The field's first value, stripped ("" when absent)."""
    values = form.get(name) or []
    return values[0].strip() if values else ""


def osm_link(latitude: float, longitude: float) -> str:
    """The place on OpenStreetMap (opened by the person's browser, not fetched by us)."""
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
        f"#map=18/{latitude:.6f}/{longitude:.6f}"
    )
