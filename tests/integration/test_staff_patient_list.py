"""The support desk's patient list shows when each patient last signed in (CONTRACT §5)."""

from __future__ import annotations

import re

import pytest
from django.utils import formats, timezone

from carekey.accounts.models import User
from tests.conftest import ApiClient
from tests.page_helpers import result_rows

pytestmark = pytest.mark.django_db


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
