"""Replay under concurrency: many threads, each with its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from carekey.mfa import checks
from carekey.mfa.models import Factor
from tests.conftest import ApiClient
from tests.mfa_helpers import code_now, enroll_and_verify

THREADS = 20
T = TypeVar("T")


def run_together(count: int, work: Callable[[], T]) -> list[T]:
    """Start `count` calls of `work` at one instant, each thread on its own connection."""
    barrier = threading.Barrier(count)

    def one(_: int) -> T:
        barrier.wait()
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_claims_of_one_code_accept_exactly_one(patient) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        api = ApiClient()
        api.sign_in(patient.email)
        enrolled = enroll_and_verify(api)
        traveller.shift(timedelta(seconds=30))
        code = code_now(enrolled.secret)

        def claim() -> bool:
            factor = Factor.objects.get(pk=enrolled.factor_id)
            accepted, _replayed = checks.accept_totp([factor], code)
            return accepted is not None

        results = run_together(THREADS, claim)
    assert results.count(True) == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_api_verifications_accept_exactly_one(patient) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        owner = ApiClient()
        owner.sign_in(patient.email)
        enrolled = enroll_and_verify(owner)
        clients = []
        for _ in range(THREADS):
            client = ApiClient()
            client.sign_in(patient.email)
            clients.append(client)
        traveller.shift(timedelta(seconds=30))
        code = code_now(enrolled.secret)
        pending = iter(clients)
        lock = threading.Lock()

        def verify() -> int:
            with lock:
                client = next(pending)
            return int(client.post("/session/reauthenticate", {"code": code}).status_code)

        statuses = run_together(THREADS, verify)
    assert statuses.count(200) == 1, statuses
    assert all(s in (200, 422, 429) for s in statuses), statuses
