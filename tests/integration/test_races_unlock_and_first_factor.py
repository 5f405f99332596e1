"""Races an attacker or a double click could win before (issue 12 items 5 and 6)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from carekey.accounts.models import PortalSession
from carekey.audit.models import SecurityEvent
from carekey.core import recovery
from carekey.mfa import factors
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import ApiClient
from tests.integration.test_replay_race import run_together
from tests.mfa_helpers import code_now, enroll, enroll_and_verify

LOCK = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
RACERS = 25


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_unlocks_check_at_most_five_then_sign_out(patient) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    assert api.put("/app-lock", LOCK).status_code == 200
    page = Client()
    page.cookies = api.client.cookies
    assert page.post("/portal/lock").status_code == 302
    cookies = api.client.cookies
    clients = []
    for _ in range(RACERS):
        twin = ApiClient()
        twin.client.cookies = cookies  # the same locked session, many tabs or scripts
        clients.append(twin)
    pending = iter(clients)
    lock = threading.Lock()

    def unlock() -> tuple[int, str]:
        with lock:
            client = next(pending)
        reply = client.post("/session/unlock", {"password": "not-the-password"})
        return reply.status_code, reply.content.decode()

    results = run_together(RACERS, unlock)
    checked = [body for status, body in results if "That password is not right" in body]
    assert len(checked) <= 5, results
    assert not PortalSession.objects.filter(user=patient).exists()
    assert SecurityEvent.objects.filter(user=patient, type="session.unlocked").count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_first_factors_verified_at_once_issue_one_set_of_codes(patient) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        first, second = ApiClient(), ApiClient()
        first.sign_in(patient.email)
        second.client.cookies = first.client.cookies
        enrolled = [enroll(first, "Phone"), enroll(first, "Tablet")]
        pending = iter(zip([first, second], enrolled, strict=True))
        lock = threading.Lock()

        def verify() -> list[str]:
            with lock:
                client, (factor_id, secret) = next(pending)
            reply = client.post(f"/mfa/factors/{factor_id}/verify", {"code": code_now(secret)})
            # The loser may find its session ended by the winner's "sign out the others".
            assert reply.status_code in (200, 400, 401), reply.content
            return (
                list(reply.json().get("recovery_codes") or []) if reply.status_code == 200 else []
            )

        results = run_together(2, verify)
    issued = [codes for codes in results if codes]
    assert len(issued) <= 1, results
    stored = list(RecoveryCode.objects.filter(user=patient))
    assert len(stored) == 10
    assert SecurityEvent.objects.filter(user=patient, type="recovery_codes.generated").count() == 1
    for code in issued[0] if issued else []:  # the set shown is the set that works
        assert any(recovery.matches(recovery.normalize(code), row.code_hash) for row in stored)


@pytest.mark.django_db(transaction=True)
def test_removing_the_last_other_factor_while_one_is_verified_keeps_recovery_codes(
    patient, monkeypatch
) -> None:
    """Removing factor A while factor B is verified must not leave B without codes.

    B's verification is held, under the patient-row lock, after it counted A as verified;
    the removal of A runs meanwhile. It used to finish at once, see B still unverified and
    delete the codes; B then committed as "not first", with none. Now the removal waits
    for the lock and sees B verified.
    """
    counted, go = threading.Event(), threading.Event()
    real_count = factors._verify_counting_others

    def held_count(factor: Any) -> int | None:
        others = real_count(factor)
        counted.set()
        assert go.wait(10)
        return others

    with time_machine.travel(timezone.now(), tick=False):
        api = ApiClient()
        api.sign_in(patient.email)
        first = enroll_and_verify(api, "Phone")  # A: the first factor, ten codes
        monkeypatch.setattr(factors, "_verify_counting_others", held_count)
        second_id, second_secret = enroll(api, "Tablet")  # B, not yet verified
        remover = ApiClient()
        remover.client.cookies = api.client.cookies  # another tab of the same session
        replies: dict[str, int] = {}

        def verify_b() -> None:
            try:
                reply = api.post(
                    f"/mfa/factors/{second_id}/verify", {"code": code_now(second_secret)}
                )
                replies["verify"] = reply.status_code
            finally:
                connection.close()

        def remove_a() -> None:
            try:
                replies["remove"] = remover.delete(f"/mfa/factors/{first.factor_id}").status_code
            finally:
                connection.close()

        verifying = threading.Thread(target=verify_b)
        verifying.start()
        assert counted.wait(10)
        removing = threading.Thread(target=remove_a)
        removing.start()
        removing.join(1.0)  # with the lock it waits here; without it, it has finished
        go.set()
        verifying.join(10)
        removing.join(10)
    assert replies == {"verify": 200, "remove": 204}, replies
    assert Factor.objects.filter(user=patient, status="verified").count() == 1
    assert RecoveryCode.objects.filter(user=patient).count() == 10


@pytest.mark.django_db
def test_a_factor_verified_twice_at_once_issues_one_set_of_codes(patient) -> None:
    """Two tabs verify the same new factor (with the codes of two neighbouring steps, both
    accepted): both read it unverified. The second to take the lock must find it verified
    and issue nothing, or the codes the first tab shows would already be void."""
    api = ApiClient()
    api.sign_in(patient.email)
    factor_id, _secret = enroll(api, "Phone")
    first_tab, second_tab = (Factor.objects.get(pk=factor_id) for _ in range(2))
    codes = factors.mark_verified(patient, first_tab)
    assert codes is not None and len(codes) == 10
    kept = set(RecoveryCode.objects.filter(user=patient).values_list("code_hash", flat=True))
    assert factors.mark_verified(patient, second_tab) is None
    assert (
        set(RecoveryCode.objects.filter(user=patient).values_list("code_hash", flat=True)) == kept
    )
