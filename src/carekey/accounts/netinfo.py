"""Who is asking: the client address and user agent, trusting proxies only when configured."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

USER_AGENT_MAX = 512
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _networks(entries: list[str]) -> list[Network]:
    """CAREKEY_TRUSTED_PROXIES as networks: an address, any spelling of it, or a CIDR range."""
    found: list[Network] = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # an unreadable entry trusts nobody (settings say which one)
    return found


def _is_trusted(address: str, networks: list[Network]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the nearest untrusted hop of X-Forwarded-For behind a trusted proxy.

    A client can write any X-Forwarded-For it likes; it is read only when the connection
    comes from an address in CAREKEY_TRUSTED_PROXIES, and then from the right, skipping
    our own proxies.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    trusted = _networks(settings.TRUSTED_PROXIES)
    if remote is None or not _is_trusted(remote, trusted):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # The nearest 20 hops are the rightmost: entries on the left are the client's to write.
    for hop in reversed(forwarded.split(",")[-20:]):
        address = _valid_ip(hop)
        if address is None:
            return remote
        if not _is_trusted(address, trusted):
            return address
    return remote


def user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX]
