"""Upgrading to hashed session keys (issue 12.8) deletes the rows keyed by a raw cookie
value: nothing on disk may still hold a value that was a live session id."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("accounts", "0002_throttle_refusals")]
AFTER = [("accounts", "0003_forget_sessions_keyed_by_cookie")]


@pytest.mark.django_db(transaction=True)
def test_rows_from_before_the_upgrade_are_deleted() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    old_session = old_apps.get_model("accounts", "PortalSession")
    old_session.objects.create(
        session_key="a" * 32, session_data="x", expire_date=timezone.now() + timedelta(hours=1)
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new_apps = executor.loader.project_state(AFTER).apps
    assert new_apps.get_model("accounts", "PortalSession").objects.count() == 0
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
