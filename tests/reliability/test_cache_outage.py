"""Redis outage: REDIS_URL is an optional shared cache that never holds security state, so
losing it must not turn into errors. Signed-in pages and API calls keep answering from the
database when the cache cannot be reached.

The cache here is a Redis URL on a port where nothing listens (connection refused), the
way a stopped or unreachable Redis looks to a server.
"""

from __future__ import annotations

from typing import Any

import pytest
from reliability.harness import free_port

from tests.reliability.attack_helpers import actor_at_aal2

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/portal/", "/portal/security", "/api/v1/mfa/factors"])
def test_signed_in_requests_work_while_redis_is_unreachable(settings: Any, path: str) -> None:
    patient = actor_at_aal2("ana@example.org", raise_request_exception=False)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    response = patient.client.get(path)
    assert response.status_code == 200, response.status_code
