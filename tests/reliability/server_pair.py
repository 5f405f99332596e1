"""Two `carekey serve` processes over one throwaway PostgreSQL database, as behind a load
balancer: shared by the two-server tests (codes, sessions, locks; passkeys)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import reliability.harness as harness
from reliability.webclient import Browser


@dataclass
class Pair:
    a: harness.Server
    b: harness.Server
    database: str


@contextmanager
def serving_pair(
    migrated_template: str,
    tmp_path_factory: pytest.TempPathFactory,
    label: str,
    emails: list[str],
    public_url: str | None = None,
) -> Iterator[Pair]:
    database = harness.create_database("carekey_rel", template=migrated_template)
    deployment = harness.Deployment(
        harness.database_url(database), Path(tmp_path_factory.mktemp(label))
    )
    harness.seed_patients(deployment, emails)
    servers: list[harness.Server] = []
    try:
        # The first migrates (a no-op on the copy) and answers before the second starts.
        for name in ("a", "b"):
            server = (
                harness.start_server(deployment, workers=2, name=name)
                if public_url is None
                else harness.start_server(
                    deployment, workers=2, name=name, CAREKEY_PUBLIC_URL=public_url
                )
            )
            servers.append(server)
        yield Pair(servers[0], servers[1], database)
    finally:
        for server in servers:
            server.stop()
        harness.drop_database(database)


def signed_in(server: harness.Server, email: str) -> Browser:
    browser = server.browser()
    reply = browser.sign_in(email, harness.PASSWORD)
    assert reply.status == 200, reply.text
    return browser


def on(server: harness.Server, browser: Browser) -> Browser:
    """The same browser (the same cookie jar, shared) talking to another server."""
    return Browser(server.base, browser.user_agent, browser.timeout, browser.cookies)
