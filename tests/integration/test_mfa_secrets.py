"""Secrets at rest and in transit: ciphertext only, rotation, nothing leaked anywhere."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import ApiClient
from tests.mfa_helpers import code_now, enroll

pytestmark = pytest.mark.django_db


def raw_secret_columns() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret_ciphertext FROM {Factor._meta.db_table}")
        return [row[0] for row in cursor.fetchall()]


def test_database_holds_no_plaintext_secret(signed_in_api) -> None:
    _factor_id, secret = enroll(signed_in_api)
    stored = raw_secret_columns()
    assert len(stored) == 1
    assert secret not in stored[0]
    assert stored[0].startswith("gAAAAA")


def test_recovery_codes_are_stored_as_salted_hashes(signed_in_api) -> None:
    factor_id, secret = enroll(signed_in_api)
    codes = signed_in_api.post(
        f"/mfa/factors/{factor_id}/verify", {"code": code_now(secret)}
    ).json()["recovery_codes"]
    hashes = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(set(hashes)) == 10
    for code in codes:
        assert all(code.replace("-", "") not in h and code not in h for h in hashes)
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_rotatekeys_then_dropping_the_old_key_still_verifies(patient) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        with override_settings(CAREKEY_ENCRYPTION_KEYS=[old_key]):
            api = ApiClient()
            api.sign_in(patient.email)
            factor_id, secret = enroll(api)
            assert api.post(f"/mfa/factors/{factor_id}/verify", {"code": code_now(secret)})
        before = raw_secret_columns()
        with override_settings(CAREKEY_ENCRYPTION_KEYS=[new_key, old_key]):
            out = io.StringIO()
            call_command("rotatekeys", stdout=out)
            assert "Re-encrypted 1 secret" in out.getvalue()
        assert raw_secret_columns() != before
        traveller.shift(timedelta(seconds=30))
        with override_settings(CAREKEY_ENCRYPTION_KEYS=[new_key]):
            response = api.post("/session/reauthenticate", {"code": code_now(secret)})
            assert response.status_code == 200, response.content


def test_no_secret_or_code_appears_in_events_logs_mail_or_later_responses(
    patient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = ApiClient()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        api.sign_in(patient.email)
        enrolled = api.post("/mfa/factors", {"factor_type": "totp"}).json()
        secret, factor_id = enrolled["totp"]["secret"], enrolled["id"]
        code = code_now(secret)
        issued = api.post(f"/mfa/factors/{factor_id}/verify", {"code": code})
        recovery_codes = issued.json()["recovery_codes"]
        traveller.shift(timedelta(seconds=30))
        second_code = code_now(secret)
        later = [
            issued.content.decode().replace('"recovery_codes"', ""),
            api.get("/mfa/factors").content.decode(),
            api.get("/session").content.decode(),
            api.get("/mfa/recovery-codes").content.decode(),
            api.post("/session/reauthenticate", {"code": second_code}).content.decode(),
            api.post("/session/reauthenticate", {"code": second_code}).content.decode(),
            api.post(
                "/session/reauthenticate", {"recovery_code": recovery_codes[0]}
            ).content.decode(),
            api.delete(f"/mfa/factors/{factor_id}").content.decode(),
        ]
    for line in recovery_codes:
        later[0] = later[0].replace(line, "")
    haystacks = {
        "responses": later,
        "audit": [
            f"{e.type} {e.detail} {e.user_agent} {e.ip}" for e in SecurityEvent.objects.all()
        ],
        "logs": [r.getMessage() for r in caplog.records],
        "mail": [str(m.message()) for m in mail.outbox],
    }
    assert len(haystacks["audit"]) >= 6 and len(mail.outbox) >= 3
    needles = [
        secret,
        code,
        second_code,
        *recovery_codes,
        *(c.replace("-", "") for c in recovery_codes),
    ]
    for where, texts in haystacks.items():
        for text in texts:
            for needle in needles:
                assert needle not in text, f"{needle!r} leaked into {where}: {text[:200]}"
