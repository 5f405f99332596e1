"""More of the support desk (issue 6): the audit trail's date filter, a reset without a
reason, last sign-in in the patient list, signing out under "Require MFA", no admin for
password-only patients, and SMTP settings from the environment (CONTRACT §1, §5)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache
from django.test import Client
from django.utils import formats, timezone

from carekey.accounts.models import PortalSession, User
from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor, RecoveryCode
from carekey.policy.models import SecurityPolicy
from tests.conftest import ApiClient
from tests.integration.test_api_session import assert_error
from tests.mfa_helpers import enroll_and_verify

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
EVENTS = "/admin/audit/securityevent/"
ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/audit/securityevent/",
    "/admin/policy/securitypolicy/",
    "/admin/mfa/",
    "/admin/accounts/user/1/change/",
]


@pytest.fixture
def policy() -> Iterator[SecurityPolicy]:
    cache.clear()
    row = SecurityPolicy.objects.create(pk=1)
    yield row
    cache.clear()


def result_rows(html: str) -> list[str]:
    table = re.search(r'<table id="result_list".*?</table>', html, flags=re.S)
    assert table, "no result list on the page"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(0), flags=re.S)
    return re.findall(r"<tr.*?</tr>", body.group(1), flags=re.S) if body else []


# 1. The audit trail filters by date.


@pytest.fixture
def dated_events(patient: User) -> dict[str, str]:
    """One event per day around March 2024; each has an IP that names it."""
    days = {
        "10.0.2.28": datetime(2024, 2, 28, 23, 59, tzinfo=UTC),
        "10.0.3.1": datetime(2024, 3, 1, 0, 0, tzinfo=UTC),
        "10.0.3.15": datetime(2024, 3, 15, 12, 0, tzinfo=UTC),
        "10.0.3.31": datetime(2024, 3, 31, 23, 59, tzinfo=UTC),
        "10.0.4.1": datetime(2024, 4, 1, 0, 0, tzinfo=UTC),
        "10.0.5.20": datetime(2025, 5, 20, 8, 0, tzinfo=UTC),
    }
    for ip, when in days.items():
        SecurityEvent.objects.create(
            type="signin.succeeded", user=patient, created_at=when, ip=ip, user_agent="test"
        )
    return {ip: when.isoformat() for ip, when in days.items()}


def listed_ips(staff_api: ApiClient, query: str) -> set[str]:
    response = staff_api.client.get(f"{EVENTS}?{query}")
    assert response.status_code == 200, response.content[:500]
    assert "?e=1" not in response.get("Location", "")  # the admin's "bad filter" redirect
    rows = result_rows(response.content.decode())
    return {ip for row in rows for ip in re.findall(r"\b10\.0\.\d+\.\d+\b", row)}


def test_audit_trail_filters_by_a_date_range(staff_api: ApiClient, dated_events) -> None:
    since = "2024-03-01 00:00:00+00:00"
    until = "2024-04-01 00:00:00+00:00"
    query = f"created_at__gte={since}&created_at__lt={until}".replace("+", "%2B")
    assert listed_ips(staff_api, query) == {"10.0.3.1", "10.0.3.15", "10.0.3.31"}
    assert listed_ips(staff_api, "") >= set(dated_events)  # unfiltered: all of them


def test_audit_trail_date_hierarchy_by_year_month_and_day(
    staff_api: ApiClient, dated_events
) -> None:
    html = staff_api.client.get(EVENTS).content.decode()
    assert "created_at__year=" in html  # the date drill-down is offered
    month = listed_ips(staff_api, "created_at__year=2024&created_at__month=3")
    assert month == {"10.0.3.1", "10.0.3.15", "10.0.3.31"}
    day = "created_at__year=2024&created_at__month=3&created_at__day=15"
    assert listed_ips(staff_api, day) == {"10.0.3.15"}
    assert listed_ips(staff_api, "created_at__year=2025") == {"10.0.5.20"}


# 2. "Reset MFA" needs a real reason.


@pytest.mark.parametrize("reason", ["", "   ", "\n\t "])
def test_reset_mfa_without_a_reason_resets_nothing_and_says_why(
    staff_api: ApiClient, patient: User, reason: str
) -> None:
    phone = ApiClient()
    phone.sign_in(patient.email)
    enroll_and_verify(phone)
    response = staff_api.client.post(
        "/admin/accounts/user/",
        {
            "action": "reset_mfa_action",
            "_selected_action": [str(patient.pk)],
            "apply": "1",
            "reason": reason,
            "csrfmiddlewaretoken": staff_api.csrf,
        },
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    error = re.search(r'<p class="errornote"[^>]*>(.*?)</p>', page, flags=re.S)
    assert error and "required" in error.group(1), page[:2000]
    assert "was reset for" not in page
    assert Factor.objects.filter(user=patient, status=Factor.Status.VERIFIED).count() == 1
    assert RecoveryCode.objects.filter(user=patient).count() == 10
    assert not SecurityEvent.objects.filter(type="staff.mfa_reset").exists()
    assert phone.get("/session").status_code == 200  # still signed in


# 3. The patient list shows when a patient last signed in.


def test_patient_list_shows_the_last_sign_in(
    staff_api: ApiClient, patient: User, make_patient
) -> None:
    never = make_patient("never@example.org", name="Nora Never")
    ApiClient().sign_in(patient.email)
    patient.refresh_from_db()
    assert patient.last_login is not None
    listing = staff_api.client.get("/admin/accounts/user/").content.decode()
    header = re.search(r"<thead>(.*?)</thead>", listing, flags=re.S)
    assert header and re.search(r"Last (login|sign-in|signed in)", header.group(1), re.I)
    rows = result_rows(listing)
    signed_in = next(r for r in rows if patient.email in r)
    shown = formats.localize(timezone.localtime(patient.last_login))
    assert shown in signed_in, (shown, signed_in)
    never_row = next(r for r in rows if never.email in r)
    assert shown not in never_row


# 4. Under "Require MFA for all patients", an unenrolled patient can still sign out.


def test_required_mfa_still_lets_an_unenrolled_patient_sign_out(
    policy: SecurityPolicy, signed_in_page: Client, patient: User
) -> None:
    policy.require_mfa = True
    policy.save()
    assert signed_in_page.get("/portal/")["Location"].startswith("/portal/security")
    ask = signed_in_page.get("/portal/signout")
    assert ask.status_code == 200 and ">Sign out</button>" in ask.content.decode()
    done = signed_in_page.post("/portal/signout")
    assert done.status_code == 302 and done["Location"] == "/portal/signin"
    assert not PortalSession.objects.filter(user=patient).exists()
    assert signed_in_page.get("/portal/security")["Location"].startswith("/portal/signin?next=")
    assert signed_in_page.get("/api/v1/session").status_code == 401


def test_required_mfa_still_lets_an_unenrolled_patient_sign_out_of_the_api(
    policy: SecurityPolicy, signed_in_api: ApiClient, patient: User
) -> None:
    policy.require_mfa = True
    policy.save()
    assert_error(signed_in_api.get("/sessions"), 403, "mfa_enrollment_required")
    assert signed_in_api.delete("/session").status_code == 204
    assert_error(signed_in_api.get("/session"), 401, "not_authenticated")
    assert not PortalSession.objects.filter(user=patient).exists()


# 5. A password-only patient reaches no admin page.


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_patient_without_a_factor_reaches_no_admin_page(
    signed_in_page: Client, patient: User, make_patient, path: str
) -> None:
    other = make_patient("someone-else@example.org")
    assert not patient.is_staff and not Factor.objects.filter(user=patient).exists()
    response = signed_in_page.get(path.replace("/1/", f"/{other.pk}/"), follow=True)
    page = response.content.decode()
    assert response.status_code == 403, (response.status_code, response.redirect_chain)
    assert "Staff only" in page
    assert other.email not in page and "site-name" not in page
    posted = signed_in_page.post(
        "/admin/accounts/user/",
        {
            "action": "reset_mfa_action",
            "_selected_action": [str(other.pk)],
            "apply": "1",
            "reason": "not staff",
        },
        follow=True,
    )
    assert posted.status_code == 403
    assert not SecurityEvent.objects.filter(type="staff.mfa_reset").exists()


# 6. SMTP settings come from the environment.

PRINT_MAIL_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS", "EMAIL_USE_SSL", "DEFAULT_FROM_EMAIL")}))
"""
SMTP_ENV = {
    "CAREKEY_SMTP_HOST": "smtp.clinic.example",
    "CAREKEY_SMTP_PORT": "587",
    "CAREKEY_SMTP_USER": "portal-mailer",
    "CAREKEY_SMTP_PASSWORD": "s3cret-smtp-pass",
    "CAREKEY_SMTP_STARTTLS": "1",
    "CAREKEY_EMAIL_FROM": "Clinic Portal <portal@clinic.example>",
}


def print_mail_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter with exactly `env` and print the mail ones."""
    return subprocess.run(
        [sys.executable, "-c", PRINT_MAIL_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def mail_settings(tmp_path: Path, extra: dict[str, str]) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREKEY_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "carekey.settings",
            "CAREKEY_DATA_DIR": str(tmp_path / "data"),
            **extra,
        }
    )
    result = print_mail_settings(env)
    assert result.returncode == 0, result.stderr[-2000:]
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert isinstance(values, dict)
    return values


PRODUCTION_ENV = {
    "CAREKEY_ENV": "production",
    "CAREKEY_SECRET_KEY": "mail-settings-test-key-" * 3,  # 69 characters, 12 distinct
    "CAREKEY_ALLOWED_HOSTS": "portal.clinic.example",
}


def test_production_reads_smtp_settings_from_the_environment(tmp_path: Path) -> None:
    keys = {"CAREKEY_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    values = mail_settings(tmp_path, {**PRODUCTION_ENV, **keys, **SMTP_ENV})
    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.clinic.example",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "portal-mailer",
        "EMAIL_HOST_PASSWORD": "s3cret-smtp-pass",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "DEFAULT_FROM_EMAIL": "Clinic Portal <portal@clinic.example>",
    }


def test_starttls_is_off_unless_asked_for(tmp_path: Path) -> None:
    keys = {"CAREKEY_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    smtp = {k: v for k, v in SMTP_ENV.items() if k != "CAREKEY_SMTP_STARTTLS"}
    values = mail_settings(tmp_path, {**PRODUCTION_ENV, **keys, **smtp})
    assert values["EMAIL_USE_TLS"] is False and values["EMAIL_HOST"] == "smtp.clinic.example"


def test_development_writes_emails_to_the_console(tmp_path: Path) -> None:
    values = mail_settings(tmp_path, {"CAREKEY_ENV": "development", **SMTP_ENV})
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["DEFAULT_FROM_EMAIL"] == "Clinic Portal <portal@clinic.example>"
    plain = mail_settings(tmp_path, {})
    assert plain["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_production_without_its_keys_refuses_to_start_even_with_smtp_set(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREKEY_")}
    env.update({"DJANGO_SETTINGS_MODULE": "carekey.settings", "CAREKEY_ENV": "production"})
    env.update({"CAREKEY_DATA_DIR": str(tmp_path), **SMTP_ENV})
    result = print_mail_settings(env)
    assert result.returncode != 0
    assert "CAREKEY_SECRET_KEY" in result.stderr and "CAREKEY_ENCRYPTION_KEYS" in result.stderr
