"""Database session engine whose rows carry user, device and activity columns.

The session data stays the source of truth (Django's own engine); the columns are
projections of it so that "sign out other devices" and the device list are plain queries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBStore

# Keys CareKey keeps in the session data.
USER_AGENT = "ck_ua"
IP = "ck_ip"
CREATED = "ck_created"
LAST_ACTIVE = "ck_last"
AAL = "ck_aal"
NEXT_LEVEL = "ck_next"
REAUTH_UNTIL = "ck_reauth"
ENROLLING = "ck_enrolling"


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    return None


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from carekey.accounts.models import PortalSession

        return PortalSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance: Any = super().create_model_instance(data)
        user_id = data.get("_auth_user_id")
        instance.user_id = int(user_id) if user_id is not None else None
        instance.user_agent = str(data.get(USER_AGENT, ""))[:512]
        instance.ip = data.get(IP) or None
        instance.created_at = _as_datetime(data.get(CREATED))
        instance.last_active_at = _as_datetime(data.get(LAST_ACTIVE))
        return instance

    def delete(self, session_key: str | None = None) -> None:
        """One DELETE, where Django's engine first SELECTs the row it is about to delete.

        Every sign-in, second step and unlock rotates the id and so deletes the old row.
        Deleting through an instance (nothing depends on a session row) is one statement
        with no transaction around it; a queryset delete would add BEGIN and COMMIT.
        """
        key = session_key if session_key is not None else self.session_key
        if key is None:
            return
        self.model(session_key=key).delete()

    def cycle_key_leaving_old_row(self) -> None:
        """cycle_key without deleting the old row, for a caller that deletes it at once
        (with the patient's other sessions) in one statement."""
        data = dict(self.items())
        self.create()
        self.update(data)
