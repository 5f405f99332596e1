"""Who is asking: the client address (trusting proxies only when configured), the user
agent, and a readable name for the device it describes ("Firefox on Windows")."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.http import HttpRequest
from django.utils.translation import gettext as _
from user_agents import parse

from carekey import conf

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
    trusted = _networks(conf.trusted_proxies())
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


@lru_cache(maxsize=1024)
def _families(user_agent: str) -> tuple[str, str]:
    """(browser, system) as the parser names them; cached, as parsing is the slow part."""
    agent = parse(user_agent)
    return agent.browser.family, agent.os.family


def describe_device(user_agent: str) -> str:
    """Translated at each call, so each reader gets their own language."""
    if not user_agent.strip():
        return _("Unknown device")
    browser_family, system_family = _families(user_agent)
    browser = browser_family if browser_family != "Other" else _("Unknown browser")
    system = system_family if system_family != "Other" else ""
    return (
        _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
        if system
        else browser
    )
