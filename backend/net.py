"""Who is asking: the client's address, as far as this backend can trust it."""

from __future__ import annotations

import ipaddress

from sanic.request import Request


def client_address(request: Request) -> str:
    """The client's IP address.

    Behind HAProxy, Sanic reads the forwarded address only from as many
    proxies as PROXIES_COUNT / REAL_IP_HEADER trust (app config); a client
    cannot choose it by sending its own X-Forwarded-For.
    """
    return request.remote_addr or request.ip or "unknown"


def limit_address(request: Request) -> str:
    """The client's address as rate limits count it: an IPv6 client by its /64
    (one subscriber holds a whole /64, and could rotate through it)."""
    address = client_address(request)
    try:
        # Sanic writes a forwarded IPv6 address in brackets.
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
