"""Client addresses as the sign-in throttles of both sides count them (pure)."""

from __future__ import annotations

import ipaddress


def address_key(address: str | None) -> str:
    """The client address a count is kept for: IPv4 as is, IPv6 by its /64 network (one
    machine can take any address of its /64)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
