"""Database session engine whose rows carry user, device and activity columns.

The session data stays the source of truth (Django's own engine); the columns are
projections of it so that "sign out other devices" and the device list are plain queries.

The cookie value never reaches the database: a row is keyed by `stored_key(cookie)`, a
keyed hash, so whoever reads the table (a backup, a replica, an SQL injection elsewhere)
holds row keys that open no session. Every query by session key goes through
`stored_key`; the methods below are every place Django's engine touches the table by key.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, NamedTuple

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string, salted_hmac

from carekey.accounts import session_state
from carekey.rows import insert_parts

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


class _Row(NamedTuple):
    """What load() reads of a session row."""

    session_data: str


class SessionStore(DBStore):
    # True from a key rotation until the response's save has INSERTed the new key's row.
    _row_unwritten = False
    # The stored key of the row a rotation replaced, deleted by the INSERT of the new row.
    _replaced_row: str | None = None

    @classmethod
    def get_model_class(cls) -> Any:
        from carekey.accounts.models import PortalSession

        return PortalSession

    def _get_session_from_db(self) -> Any:
        """Django's lookup, by the stored key; an unknown key empties the session as there.

        Every request makes it, so it reads the one column load() decodes with a fixed
        statement instead of compiling a queryset each time (a fifth of a bare request).
        """
        key = self.session_key
        row = None if key is None else self._session_data_of(stored_key(key))
        if row is None:
            self._session_key = None
        return row

    def _session_data_of(self, row_key: str) -> _Row | None:
        using = router.db_for_read(self.model)
        connection = connections[using]
        table = connection.ops.quote_name(self.model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608 - the table name is ours
                [row_key, now],
            )
            found = cursor.fetchone()
        return None if found is None else _Row(found[0])

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
        if key == self.session_key:
            self.discard_replaced_row()  # signed out in the request that rotated
        self.model(session_key=stored_key(key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)

    def save(self, must_create: bool = False) -> None:
        """Django's save, in one statement: the INSERT of a rotated key's first row, else
        the UPDATE. Django wraps the statement in a transaction of its own (BEGIN and
        COMMIT round trips around one statement that is atomic anyway); here a savepoint
        is taken only inside a caller's transaction, so a failure cannot abort that."""
        if self.session_key is None:
            self.create()
            return
        must_create = must_create or self._row_unwritten
        data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]  # Django's, unstubbed
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        inside = transaction.get_connection(using).in_atomic_block
        try:
            with transaction.atomic(using=using) if inside else nullcontext():
                if must_create and self._replaced_row is not None:
                    self._insert_replacing(obj, using, self._replaced_row)
                else:
                    obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError as exc:
            if must_create:
                raise CreateError from exc
            raise
        except DatabaseError as exc:
            if not must_create:
                raise UpdateError from exc
            raise
        self._row_unwritten = False
        self._replaced_row = None

    def _insert_replacing(self, obj: Any, using: str, replaced: str) -> None:
        """INSERT the rotated key's row and DELETE the row it replaces: on PostgreSQL one
        statement (a data-modifying CTE, so both or neither), elsewhere two."""
        connection = connections[using]
        if connection.vendor != "postgresql":
            self.model(session_key=replaced).delete(using=using)
            obj.save(force_insert=True, using=using)
            return
        table, columns_and_values, values = insert_parts(obj, connection)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH replaced AS (DELETE FROM {table} WHERE session_key = %s) "  # noqa: S608 - our table and columns
                f"INSERT INTO {table} {columns_and_values}",
                [replaced, *values],
            )

    def _take_new_key(self) -> None:
        """A new key whose row the response's save writes, once. Django's create() first
        asks the table whether the key is taken, writes an empty row, and the response
        then writes it again; 32 characters of 36 (165 bits) are never taken, and a clash
        would still fail the INSERT rather than share a row."""
        data = dict(self.items())
        self._session_key = get_random_string(32, VALID_KEY_CHARS)
        self._session_cache = data
        self._row_unwritten = True
        self.modified = True

    def cycle_key(self) -> None:
        """Django's cycle_key (the old row deleted, the data kept under a new key) with the
        new row written once, at the response, by the statement that deletes the old row
        (issue 18: every sign-in, second step and unlock one round trip fewer). Until the
        response the old row is untouched, so it never holds the new, stronger state; a
        5xx, which Django does not save, ends it (discard_replaced_row)."""
        key = self.session_key
        if key and not self._row_unwritten:  # a key rotated twice wrote no row in between
            self._replaced_row = stored_key(key)
        self._take_new_key()

    def discard_replaced_row(self) -> None:
        """For a response that will not be saved (Django saves nothing after a 5xx): the row
        this request's rotation replaced is deleted now, as Django's cycle_key would have
        done at once, so the old cookie opens nothing; the browser is signed out."""
        if self._replaced_row is not None:
            self.model(session_key=self._replaced_row).delete()
            self._replaced_row = None

    @property
    def replaced_row(self) -> str | None:
        """The stored key of the row this request's rotation replaced, until the save."""
        return self._replaced_row

    def cycle_key_leaving_old_row(self) -> None:
        """cycle_key without deleting the old row, for a caller that deletes it at once
        (with the patient's other sessions) in one statement."""
        self._take_new_key()
