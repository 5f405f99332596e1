"""A patient, who has no staff flag and no factor, reaches no admin page and cannot post
an admin action (CONTRACT §5)."""

from __future__ import annotations

import pytest
from django.test import Client

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor

pytestmark = pytest.mark.django_db
ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/audit/securityevent/",
    "/admin/policy/securitypolicy/",
    "/admin/mfa/",
    "/admin/accounts/user/1/change/",
]


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
