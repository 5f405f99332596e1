"""Which address a request comes from (CONTRACT §4, §7): REMOTE_ADDR, and X-Forwarded-For
only behind a proxy named in CAREKEY_TRUSTED_PROXIES, read from the right, so a client
cannot choose the address the per-address limit and the audit trail see."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest
from django.test import RequestFactory, override_settings
from hypothesis import given
from hypothesis import strategies as st

from carekey.client import USER_AGENT_MAX, client_ip, user_agent

PROXY = "10.0.0.1"
INNER_PROXY = "10.0.0.2"
CLIENT = "203.0.113.9"
SPOOFED = "198.51.100.7"
behind_proxies = override_settings(CAREKEY_TRUSTED_PROXIES=[PROXY, INNER_PROXY])


def request(remote: str = PROXY, forwarded: str | None = None, **meta: Any) -> HttpRequest:
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", REMOTE_ADDR=remote, **meta)


@override_settings(CAREKEY_TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_ip(request(CLIENT)) == CLIENT
    assert client_ip(request(CLIENT, forwarded=SPOOFED)) == CLIENT
    assert client_ip(request(PROXY, forwarded=SPOOFED)) == PROXY


@behind_proxies
def test_a_client_that_is_not_a_proxy_cannot_name_another_address() -> None:
    assert client_ip(request(CLIENT, forwarded=SPOOFED)) == CLIENT


@behind_proxies
def test_behind_a_trusted_proxy_the_address_it_saw_is_used() -> None:
    assert client_ip(request(PROXY, forwarded=CLIENT)) == CLIENT


@behind_proxies
def test_addresses_the_client_wrote_left_of_the_proxy_entry_are_ignored() -> None:
    forwarded = f"{SPOOFED}, 192.0.2.1, {CLIENT}"
    assert client_ip(request(PROXY, forwarded=forwarded)) == CLIENT


@behind_proxies
def test_our_own_proxies_are_skipped_from_the_right() -> None:
    forwarded = f"{SPOOFED}, {CLIENT}, {INNER_PROXY}"
    assert client_ip(request(PROXY, forwarded=forwarded)) == CLIENT


@behind_proxies
def test_a_chain_of_only_our_proxies_gives_the_connecting_proxy() -> None:
    assert client_ip(request(PROXY, forwarded=f"{INNER_PROXY}, {PROXY}")) == PROXY


@behind_proxies
@pytest.mark.parametrize("forwarded", ["", "not-an-address", f"{CLIENT}, junk", " , "])
def test_an_unreadable_nearest_hop_gives_the_proxy_not_a_guess(forwarded: str) -> None:
    assert client_ip(request(PROXY, forwarded=forwarded)) == PROXY


@behind_proxies
def test_no_header_behind_a_proxy_gives_the_proxy() -> None:
    assert client_ip(request(PROXY)) == PROXY


@behind_proxies
def test_addresses_are_returned_in_one_canonical_form() -> None:
    assert client_ip(request(PROXY, forwarded=" 2001:DB8:0:0::1 ")) == "2001:db8::1"
    assert client_ip(request("2001:0DB8::0001")) == "2001:db8::1"


@pytest.mark.parametrize("remote", ["", "unknown", "999.1.1.1", "10.0.0.1:443"])
def test_an_unreadable_remote_address_is_none(remote: str) -> None:
    assert client_ip(request(remote, forwarded=CLIENT)) is None


@behind_proxies
def test_a_long_header_cannot_push_the_proxy_entry_out_of_reach() -> None:
    written = ", ".join(f"198.51.100.{i}" for i in range(25))
    assert client_ip(request(PROXY, forwarded=f"{written}, {CLIENT}")) == CLIENT


addresses = st.ip_addresses().map(str)


@behind_proxies
@given(st.lists(addresses, max_size=10), addresses)
def test_whatever_the_client_writes_the_proxy_entry_wins(written: list[str], seen: str) -> None:
    """A proxy appends the address it saw; what the client wrote before it never counts."""
    if seen in {PROXY, INNER_PROXY}:
        return
    forwarded = ", ".join([*written, seen])
    assert client_ip(request(PROXY, forwarded=forwarded)) == seen


@given(st.lists(addresses, max_size=10), addresses)
def test_without_trusted_proxies_the_connection_address_always_wins(
    written: list[str], remote: str
) -> None:
    with override_settings(CAREKEY_TRUSTED_PROXIES=[]):
        assert client_ip(request(remote, forwarded=", ".join(written))) == remote


def test_user_agent_is_cut_to_its_maximum_and_missing_is_empty() -> None:
    assert user_agent(request(HTTP_USER_AGENT="x" * 10_000)) == "x" * USER_AGENT_MAX
    assert user_agent(request(HTTP_USER_AGENT="Firefox")) == "Firefox"
    assert user_agent(RequestFactory().get("/")) == ""


@override_settings(CAREKEY_TRUSTED_PROXIES=["10.0.0.0/24", "2001:DB8:0:0::1"])
def test_trusted_proxies_may_be_ranges_and_any_spelling_of_an_address() -> None:
    assert client_ip(request("10.0.0.77", forwarded=CLIENT)) == CLIENT
    assert client_ip(request("2001:db8::1", forwarded=CLIENT)) == CLIENT
    assert client_ip(request("10.0.1.1", forwarded=CLIENT)) == "10.0.1.1"


@override_settings(CAREKEY_TRUSTED_PROXIES=["not-an-address", PROXY])
def test_an_unreadable_proxy_entry_trusts_nobody_else() -> None:
    assert client_ip(request(PROXY, forwarded=CLIENT)) == CLIENT
    assert client_ip(request(CLIENT, forwarded=SPOOFED)) == CLIENT
