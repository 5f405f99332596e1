"""Attack matrix, secrets at rest and in transit: once enrollment is over, the TOTP secret,
its otpauth URI and QR code, the recovery codes, the codes typed and the password appear in
no response, page, email, log line, audit event or session row.

One patient enrolls and verifies (the only answers allowed to carry the secret and the
codes); each row then reads one place and searches it for every secret in every spelling
a page might use (raw, grouped in fours, lower case, URL-encoded, without hyphens).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from carekey.accounts.models import PortalSession
from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import PASSWORD
from tests.reliability.attack_helpers import Actor, actor_at_aal2
from tests.reliability.conftest import STUB_QR

pytestmark = pytest.mark.django_db


@dataclass
class Enrolled:
    patient: Actor
    secret: str
    factor_id: str
    recovery_codes: list[str]
    codes_typed: list[str]

    def spellings(self) -> list[str]:
        grouped = " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))
        found = [self.secret, self.secret.lower(), grouped, quote(self.secret), PASSWORD]
        for code in self.recovery_codes:
            found += [code, code.replace("-", ""), code.lower()]
        return [*found, "otpauth://", "otpauth%3A", STUB_QR]


@pytest.fixture
def enrolled(caplog: pytest.LogCaptureFixture) -> Enrolled:
    caplog.set_level(logging.DEBUG)
    mail.outbox.clear()
    patient = actor_at_aal2("ana@example.org", "Phone")
    assert patient.enrolled is not None
    typed = [patient.code(0)]  # the enrollment code (an approximation of it: same step)
    return Enrolled(
        patient,
        patient.enrolled.secret,
        patient.enrolled.factor_id,
        patient.enrolled.recovery_codes,
        typed,
    )


def assert_free_of_secrets(text: str, scene: Enrolled, where: str) -> None:
    for secret in scene.spellings():
        assert secret not in text, f"{where} contains a secret ({secret[:6]}...)"


def _pages(scene: Enrolled) -> str:
    patient = scene.patient
    paths = [
        "/portal/",
        "/portal/security",
        f"/portal/security/factors/{scene.factor_id}/remove",
        f"/portal/security/factors/{scene.factor_id}/verify",
        "/portal/signout",
    ]
    return "\n".join(patient.client.get(path).content.decode() for path in paths)


def _api(scene: Enrolled) -> str:
    patient = scene.patient
    paths = ["/session", "/mfa/factors", "/mfa/recovery-codes", "/app-lock", "/sessions"]
    paths += ["/security-events?limit=100", "/openapi.json"]
    return "\n".join(patient.api.get(path).content.decode() for path in paths)


def _api_writes(scene: Enrolled) -> str:
    patient = scene.patient
    answers = [
        patient.api.post(f"/mfa/factors/{scene.factor_id}/verify", {"code": patient.code(1)}),
        patient.api.post("/session/reauthenticate", {"code": "000000"}),
        patient.api.post("/session/reauthenticate", {"recovery_code": "AAAA-BBBB-CCCC-DDDD"}),
        patient.api.put(
            "/app-lock", {"enabled": True, "timeout_minutes": 5, "unlock_method": "code"}
        ),
    ]
    return "\n".join(a.content.decode() for a in answers)


def _second_sign_in(scene: Enrolled) -> str:
    browser = scene.patient.another_browser()
    answers = [browser.sign_in()]
    answers.append(browser.client.get("/portal/signin/verify"))
    answers.append(browser.api.post("/session/verify", {"code": scene.patient.code(-1)}))
    answers.append(browser.client.get("/portal/security"))
    return "\n".join(a.content.decode() for a in answers)


def _lock_screen(scene: Enrolled) -> str:
    patient = scene.patient
    patient.post_page("/portal/lock")
    return patient.client.get("/portal/locked").content.decode()


def _staff_views(scene: Enrolled) -> str:
    staff = actor_at_aal2("staff@example.org", staff=True).client
    pages = [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{scene.patient.user.pk}/change/",
        "/admin/audit/securityevent/",
    ]
    texts = [staff.get(p).content.decode() for p in pages]
    for event in SecurityEvent.objects.filter(user=scene.patient.user):
        texts.append(staff.get(f"/admin/audit/securityevent/{event.pk}/change/").content.decode())
    ids = [str(e.pk) for e in SecurityEvent.objects.all()]
    export = staff.post(
        "/admin/audit/securityevent/",
        {"action": "export_csv", "_selected_action": ids},
        headers={"X-CSRFToken": staff.cookies["csrftoken"].value},
    )
    assert export["Content-Type"].startswith("text/csv"), export.status_code
    return "\n".join([*texts, export.content.decode()])


def _emails(scene: Enrolled) -> str:
    assert mail.outbox, "expected a notification email after enrollment"
    parts = []
    for message in mail.outbox:
        assert isinstance(message, EmailMultiAlternatives)
        parts += [str(message.subject), str(message.body)]
        parts += [str(body) for body, _kind in message.alternatives]
    return "\n".join(parts)


def _audit_rows(scene: Enrolled) -> str:
    rows = SecurityEvent.objects.values_list("type", "detail", "user_agent")
    return json.dumps(list(rows), default=str)


def _stored_rows(scene: Enrolled) -> str:
    factor = Factor.objects.get(pk=scene.factor_id)
    assert factor.secret_ciphertext.startswith("gAAAA"), "secret not Fernet ciphertext"
    sessions = [row.get_decoded() for row in PortalSession.objects.all()]
    hashes = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert all(h.startswith("$argon2id$") for h in hashes)
    return json.dumps([factor.secret_ciphertext, sessions, hashes], default=str)


PLACES: dict[str, Callable[[Enrolled], str]] = {
    "portal pages": _pages,
    "API reads": _api,
    "API writes and errors": _api_writes,
    "a second sign-in": _second_sign_in,
    "lock screen": _lock_screen,
    "staff admin and CSV export": _staff_views,
    "notification emails": _emails,
    "audit events": _audit_rows,
    "database rows and sessions": _stored_rows,
}


@pytest.mark.parametrize("place", PLACES)
def test_no_secret_after_enrollment(
    enrolled: Enrolled, place: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert_free_of_secrets(PLACES[place](enrolled), enrolled, place)
    assert_free_of_secrets(caplog.text, enrolled, f"the log while reading {place}")
    for code in enrolled.codes_typed:
        assert code not in caplog.text, "a typed code reached the log"


def test_the_enrollment_answer_is_the_one_place_the_secret_appears() -> None:
    patient = Actor("ana@example.org")
    patient.sign_in()
    factor_id, secret = patient.enroll()
    page = patient.client.get(f"/portal/security/factors/{factor_id}/verify")
    assert page.status_code == 200
    other_browser = patient.another_browser()
    other_browser.sign_in()
    elsewhere = other_browser.client.get(f"/portal/security/factors/{factor_id}/verify")
    assert elsewhere.status_code == 404, "another session of the patient saw the secret"
    listed: Any = patient.api.get("/mfa/factors")
    assert secret not in listed.content.decode()
