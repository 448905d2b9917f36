"""The API's OpenAPI 3 document (backend/openapi.yaml), served as JSON at /openapi.json.

Kept as YAML beside the code, readable and reviewed with it; its paths are held
in step with the routes by tests/backend/test_openapi.py.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

import yaml
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

DOCUMENT = Path(__file__).resolve().parent / "openapi.yaml"

bp = Blueprint("openapi")


@lru_cache(maxsize=1)
def document() -> Dict[str, Any]:
    """The document, read once per process (it ships with the code)."""
    loaded: Dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


@bp.get("/openapi.json")
async def openapi_json(request: Request) -> HTTPResponse:
    return json(document(), headers={"Cache-Control": "public, max-age=300"})
