"""Session rows written before keys were hashed are keyed by the cookie value itself.

No cookie can reach them any more (a cookie is looked up by its keyed hash), but each still
holds a value that was a live session id; delete them, so nothing on disk opens a session.
Every patient signs in again once after this upgrade.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forget_sessions(apps: Any, schema_editor: Any) -> None:
    apps.get_model("accounts", "PortalSession").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_throttle_refusals")]

    operations = [migrations.RunPython(forget_sessions, migrations.RunPython.noop)]
