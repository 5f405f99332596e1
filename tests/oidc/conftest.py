"""The provider answers as the live test server: its issuer is that server's address."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def live_server(live_server: Any, settings: Any) -> Any:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": live_server.url}
    return live_server
