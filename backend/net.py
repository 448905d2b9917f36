"""Who is asking: the client's address, as far as this backend can trust it."""

from __future__ import annotations

from sanic.request import Request


def client_address(request: Request) -> str:
    """The client's IP address.

    Behind HAProxy, Sanic reads the forwarded address only from as many
    proxies as PROXIES_COUNT / REAL_IP_HEADER trust (app config); a client
    cannot choose it by sending its own X-Forwarded-For.
    """
    return request.remote_addr or request.ip or "unknown"
