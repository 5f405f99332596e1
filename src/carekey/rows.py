"""A model instance's INSERT as a fixed statement, for the hot writes (an audit row on
every verify, a rotated session's row): they skip the ORM's per-call query compilation
(issue 18). Each value goes through its field's own `get_db_prep_save`, as the ORM's
insert does, so what is stored is the same; every value is a parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import NOT_PROVIDED, Model
from django.utils.dateparse import parse_datetime


def insert_parts(obj: Model, connection: BaseDatabaseWrapper) -> tuple[str, str, list[Any]]:
    """(quoted table, "(columns) VALUES (placeholders)", values) for `obj`'s INSERT; an
    auto-incremented primary key is left to the database."""
    meta = obj._meta
    quote = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not (f.primary_key and f.auto_created)]
    for field in fields:  # plain values only: what the database computes needs the ORM
        if field.generated or getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            raise TypeError(f"{meta.label}.{field.name} is computed by the database")
    columns = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    return quote(meta.db_table), f"({columns}) VALUES ({marks})", values


def read_datetime(value: object) -> datetime:
    """A timestamp column as a raw cursor returns it: PostgreSQL gives an aware datetime,
    SQLite the UTC text Django stored, which the ORM would have parsed the same way."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
