"""Bearer tokens between our own processes (REST channel, action server)."""

from __future__ import annotations

import hmac
from typing import Optional


def matches(header: Optional[str], token: str) -> bool:
    """Whether an `Authorization` header value is `Bearer <token>` (constant time)."""
    scheme, _, value = (header or "").partition(" ")
    given = value.strip().encode("utf-8", "replace")
    return scheme.lower() == "bearer" and hmac.compare_digest(given, token.encode())
