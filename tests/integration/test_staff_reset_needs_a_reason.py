"""The support desk's "Reset MFA" needs a real reason (CONTRACT §5): an empty or blank
one resets nothing, ends no session, records nothing and says why."""

from __future__ import annotations

import re

import pytest

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import ApiClient
from tests.mfa_helpers import enroll_and_verify

pytestmark = pytest.mark.django_db


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
