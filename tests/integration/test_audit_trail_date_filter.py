"""The support desk's audit trail filters by date (CONTRACT §5): by a range in the query
and by the admin's year, month and day drill-down."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from tests.conftest import ApiClient
from tests.page_helpers import result_rows

pytestmark = pytest.mark.django_db
EVENTS = "/admin/audit/securityevent/"


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
