"""Database session engine whose rows carry user, device and activity columns.

The session data stays the source of truth (Django's own engine); the columns are
projections of it so that "sign out other devices" and the device list are plain queries.

The cookie value never reaches the database: a row is keyed by `stored_key(cookie)`, a
keyed hash, so whoever reads the table (a backup, a replica, an SQL injection elsewhere)
holds row keys that open no session. Every query by session key goes through
`stored_key`; the methods below are every place Django's engine touches the table by key.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.utils import timezone
from django.utils.crypto import salted_hmac

from carekey.accounts import session_state

KEY_SALT = "carekey.session-key"
# 20 bytes of HMAC-SHA256 as hex: 40 characters, the width of the row's primary key.
STORED_KEY_BYTES = 20


def stored_key(session_key: str) -> str:
    """The row key for a cookie value; keyed with SECRET_KEY, so the table alone is useless.

    Changing CAREKEY_SECRET_KEY therefore signs every session out, as it already voided
    every signed value.
    """
    digest = salted_hmac(KEY_SALT, session_key, algorithm="sha256").digest()
    return digest[:STORED_KEY_BYTES].hex()


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from carekey.accounts.models import PortalSession

        return PortalSession

    def _get_session_from_db(self) -> Any:
        """Django's lookup, by the stored key; an unknown key empties the session as there."""
        key = self.session_key
        try:
            if key is None:
                raise self.model.DoesNotExist
            return self.model.objects.get(
                session_key=stored_key(key), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    async def _aget_session_from_db(self) -> Any:
        return await sync_to_async(self._get_session_from_db)()

    def exists(self, session_key: str) -> bool:
        return bool(self.model.objects.filter(session_key=stored_key(session_key)).exists())

    async def aexists(self, session_key: str) -> bool:
        return await sync_to_async(self.exists)(session_key)

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        """The row Django's save() writes: keyed by the stored key, with the columns filled."""
        instance: Any = super().create_model_instance(data)
        instance.session_key = stored_key(instance.session_key)
        for column, value in session_state.row_columns(data).items():
            setattr(instance, column, value)
        return instance

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        return await sync_to_async(self.create_model_instance)(data)

    def delete(self, session_key: str | None = None) -> None:
        """One DELETE, where Django's engine first SELECTs the row it is about to delete.

        Every sign-in, second step and unlock rotates the id and so deletes the old row.
        Deleting through an instance (nothing depends on a session row) is one statement
        with no transaction around it; a queryset delete would add BEGIN and COMMIT.
        """
        key = session_key if session_key is not None else self.session_key
        if key is None:
            return
        self.model(session_key=stored_key(key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)

    def cycle_key_leaving_old_row(self) -> None:
        """cycle_key without deleting the old row, for a caller that deletes it at once
        (with the patient's other sessions) in one statement."""
        data = dict(self.items())
        self.create()
        self.update(data)
