"""The throttle's arithmetic and keys (CONTRACT §4, §7), without a database: how long a key
waits after so many failures, and which attempts share a count."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carekey.accounts import throttle
from carekey.accounts.throttle import Limit, wait_after

limits = st.builds(
    Limit,
    free_failures=st.integers(min_value=1, max_value=100),
    first_wait=st.integers(min_value=1, max_value=3600),
    max_wait=st.integers(min_value=1, max_value=86_400),
)


def test_five_failures_are_free_then_the_wait_doubles_from_thirty_seconds() -> None:
    assert [wait_after(n) for n in range(0, 6)] == [0, 0, 0, 0, 0, 30]
    assert [wait_after(n) for n in range(5, 10)] == [30, 60, 120, 240, 480]


def test_the_wait_stops_at_fifteen_minutes_however_many_failures() -> None:
    assert wait_after(10) == wait_after(11) == 15 * 60
    assert wait_after(10**18) == 15 * 60


def test_a_limit_of_its_own_uses_its_own_numbers() -> None:
    limit = Limit(free_failures=2, first_wait=7, max_wait=50)
    assert [limit.wait_after(n) for n in range(0, 8)] == [0, 0, 7, 14, 28, 50, 50, 50]


def test_one_address_gets_thirty_free_failures_across_accounts() -> None:
    assert throttle.PER_IP.wait_after(29) == 0
    assert throttle.PER_IP.wait_after(30) == 30


@given(limits, st.integers(min_value=0, max_value=10**9))
def test_wait_is_zero_exactly_while_under_the_free_failures(limit: Limit, failures: int) -> None:
    waited = limit.wait_after(failures)
    assert (waited == 0) == (failures < limit.free_failures)


@given(limits, st.integers(min_value=0, max_value=10**9))
def test_wait_never_shrinks_as_failures_grow_and_never_passes_the_maximum(
    limit: Limit, failures: int
) -> None:
    assert 0 <= limit.wait_after(failures) <= limit.wait_after(failures + 1) <= limit.max_wait


@pytest.mark.parametrize("failures", [5, 6, 7, 8])
def test_each_failure_after_the_first_wait_doubles_it(failures: int) -> None:
    assert wait_after(failures + 1) == 2 * wait_after(failures)


@pytest.mark.parametrize(
    "variant", ["ana@example.org", "ANA@EXAMPLE.ORG", "  Ana@Example.org ", "ana@example.org\n"]
)
def test_unknown_email_variants_share_one_count(variant: str) -> None:
    assert throttle.key_for_unknown_email(variant) == throttle.key_for_unknown_email(
        "ana@example.org"
    )


def test_keys_of_different_kinds_never_collide() -> None:
    keys = {
        throttle.key_for_user(7),
        throttle.key_for_password(7),
        throttle.key_for_device("7"),
        throttle.key_for_unknown_email("7"),
        throttle.key_for_ip("7"),
    }
    assert len(keys) == 5


def test_keys_are_bounded_whatever_the_client_sends() -> None:
    assert len(throttle.key_for_device("n" * 10_000)) <= len("device:") + 64
    assert len(throttle.key_for_unknown_email("a" * 10_000 + "@x.org")) <= len("email:") + 254


def test_requests_without_an_address_share_one_count() -> None:
    assert throttle.key_for_ip(None) == throttle.key_for_ip("") == "ip:unknown"
    assert throttle.key_for_ip("192.0.2.1") != throttle.key_for_ip(None)
