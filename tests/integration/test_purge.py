"""`carekey purge`: what it deletes, what it keeps, and the audit retention setting.

Expired enrollments are hidden from every list at once (mfa.services.live_factors) and
deleted here; sessions past their idle or absolute limit, passkey challenges past their
five minutes and audit events past the retention period (default six years, the HIPAA
documentation period) go too.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from carekey.accounts.models import PasswordResetLink, PortalSession, User
from carekey.audit.models import SecurityEvent
from carekey.core import totp
from carekey.mfa import vault
from carekey.mfa.models import Factor, PasskeyChallenge
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def factor(user: User, status: str, age: timedelta, name: str) -> Factor:
    made = Factor.objects.create(
        user=user,
        friendly_name=name,
        status=status,
        secret_ciphertext=vault.seal(totp.generate_secret()),
    )
    Factor.objects.filter(pk=made.pk).update(created_at=timezone.now() - age)
    return made


def session(user: User, key: str, *, created: timedelta, active: timedelta) -> None:
    now = timezone.now()
    PortalSession.objects.create(
        session_key=key,
        session_data="",
        expire_date=now + timedelta(hours=1),
        user=user,
        created_at=now - created,
        last_active_at=now - active,
    )


def event(user: User, age: timedelta) -> SecurityEvent:
    return SecurityEvent.objects.create(
        type="signin.succeeded", user=user, created_at=timezone.now() - age
    )


def purge() -> str:
    out = io.StringIO()
    call_command("purge", stdout=out)
    return out.getvalue()


def test_audit_retention_defaults_to_six_years() -> None:
    assert settings.CAREKEY_AUDIT_RETENTION_DAYS >= 6 * 365


def test_purge_deletes_only_what_has_expired(make_patient: Any) -> None:
    patient = make_patient()
    abandoned = factor(patient, "unverified", timedelta(minutes=16), "Old tablet")
    pending = factor(patient, "unverified", timedelta(minutes=5), "New tablet")
    kept = factor(patient, "verified", timedelta(days=400), "Phone")
    idle = settings.CAREKEY_IDLE_TIMEOUT_MINUTES
    session(
        patient, "idle" * 8, created=timedelta(minutes=idle + 5), active=timedelta(minutes=idle + 1)
    )
    session(
        patient,
        "aged" * 8,
        created=timedelta(hours=settings.CAREKEY_SESSION_MAX_HOURS, minutes=1),
        active=timedelta(minutes=1),
    )
    session(patient, "live" * 8, created=timedelta(hours=1), active=timedelta(minutes=1))
    retention = timedelta(days=settings.CAREKEY_AUDIT_RETENTION_DAYS)
    old = event(patient, retention + timedelta(days=1))
    recent = event(patient, retention - timedelta(days=1))

    report = purge()

    assert set(Factor.objects.values_list("pk", flat=True)) == {pending.pk, kept.pk}
    assert not Factor.objects.filter(pk=abandoned.pk).exists()
    assert list(PortalSession.objects.values_list("session_key", flat=True)) == ["live" * 8]
    assert set(SecurityEvent.objects.values_list("pk", flat=True)) == {recent.pk}
    assert not SecurityEvent.objects.filter(pk=old.pk).exists()
    assert report.startswith("Purged 1 expired enrollment(s), 2 session(s), 1 audit event(s)")


def test_retention_follows_the_setting(make_patient: Any, settings: Any) -> None:
    patient = make_patient()
    settings.CAREKEY_AUDIT_RETENTION_DAYS = 30
    event(patient, timedelta(days=31))
    kept = event(patient, timedelta(days=29))
    purge()
    assert list(SecurityEvent.objects.values_list("pk", flat=True)) == [kept.pk]


def test_an_expired_enrollment_is_hidden_before_any_purge(signed_in_api: ApiClient) -> None:
    user = User.objects.get()
    factor(user, "unverified", timedelta(minutes=16), "Old tablet")
    fresh = factor(user, "unverified", timedelta(minutes=1), "New tablet")
    listed = signed_in_api.get("/mfa/factors").json()["factors"]
    assert [f["id"] for f in listed] == [str(fresh.pk)]
    assert Factor.objects.count() == 2  # listing never writes; purge or the next enroll does


def challenge(name: str, expires_in: timedelta, user: User | None = None) -> PasskeyChallenge:
    return PasskeyChallenge.objects.create(
        challenge=name,
        binding="b" * 64,
        purpose=PasskeyChallenge.Purpose.AUTHENTICATE,
        user=user,
        expires_at=timezone.now() + expires_in,
    )


def test_purge_deletes_expired_passkey_challenges_and_keeps_fresh_ones(
    make_patient: Any,
) -> None:
    patient = make_patient()
    challenge("expired-sign-in", timedelta(seconds=-1))
    challenge("expired-long-ago", timedelta(days=-3), patient)
    fresh = challenge("fresh", timedelta(minutes=4, seconds=50), patient)

    report = purge()

    assert list(PasskeyChallenge.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert ", 2 expired passkey challenge(s)," in report
    assert ", 0 expired passkey challenge(s)," in purge()


def test_purge_deletes_expired_password_reset_links_and_keeps_fresh_ones(
    make_patient: Any,
) -> None:
    patient = make_patient()
    lifetime = timedelta(minutes=30)
    PasswordResetLink.objects.create(
        user=patient, digest="a" * 64, created_at=timezone.now() - lifetime - timedelta(seconds=1)
    )
    fresh = PasswordResetLink.objects.create(
        user=patient, digest="b" * 64, created_at=timezone.now() - lifetime + timedelta(minutes=1)
    )

    report = purge()

    assert list(PasswordResetLink.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert report.rstrip().endswith(", 1 expired password reset link(s).")
