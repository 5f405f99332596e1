"""Seeding a benchmark database fast: one INSERT … generate_series per table.

Imported by bench/dbtool.py after django.setup().
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.backends.utils import CursorWrapper
from patients import EVENT_TYPES, PASSWORD, UA

from carekey.accounts.models import User
from carekey.audit.events import EventType
from carekey.audit.models import SecurityEvent
from carekey.core import totp
from carekey.mfa import vault
from carekey.mfa.models import Factor

SEED_DOMAIN = "seed.example.org"


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def _clone_sql(table: str, template_id: object, overrides: dict[str, str], source: str) -> str:
    """INSERT … SELECT that copies a template row made by the ORM, overriding some columns.

    Copying every other column from a real row keeps the seed valid when a migration adds
    a column with a Python-side default: nothing here names it.
    """
    columns = [c for c in _columns(table) if c != "id" or "id" in overrides]
    values = [overrides.get(c, f't."{c}"') for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    # Identifiers and expressions come from this file and the catalogue, never from input.
    return (
        f'INSERT INTO "{table}" ({names}) SELECT {", ".join(values)} '  # noqa: S608
        f"FROM {source} CROSS JOIN (SELECT * FROM \"{table}\" WHERE id = '{template_id}') t"
    )


@contextmanager
def _without_secondary_indexes(tables: list[str]) -> Iterator[list[str]]:
    """Drop secondary indexes and foreign/unique keys for the bulk load, then rebuild them.

    Building an index once over sorted data is many times faster than 10 million random
    insertions into it; the definitions are read back from the catalogue, so the rebuilt
    indexes are exactly those the migrations made.
    """
    restore: list[str] = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                restore.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.tablename = %s AND NOT EXISTS ("
                "  SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                restore.append(definition)
    yield restore
    with connection.cursor() as cursor:
        # Indexes first (the unique ones back nothing yet), then keys, which need them.
        for statement in sorted(restore, key=lambda s: s.startswith("ALTER")):
            cursor.execute(statement)


@dataclass(frozen=True)
class Templates:
    """One row per table made by the ORM, copied by every seeded row of that table."""

    user: User
    factor: Factor
    event: SecurityEvent


def _templates() -> Templates:
    """One Argon2 hash and one Fernet ciphertext, computed once and shared by every row."""
    user = User.objects.create(
        email=f"template@{SEED_DOMAIN}", password=make_password(PASSWORD), name="Seed Patient"
    )
    factor = Factor.objects.create(
        user=user,
        friendly_name="Authenticator app",
        status=Factor.Status.VERIFIED,
        secret_ciphertext=vault.seal(totp.generate_secret()),
    )
    event = SecurityEvent.objects.create(
        type=EventType.SIGNIN_SUCCEEDED, user=user, ip="203.0.113.7", user_agent=UA
    )
    return Templates(user, factor, event)


def _insert_patients(cursor: CursorWrapper, template: User, patients: int) -> int:
    """Patients 1..N with contiguous ids; returns the lowest."""
    cursor.execute(
        _clone_sql(
            "accounts_user",
            template.pk,
            {
                "email": f"'patient' || g || '@{SEED_DOMAIN}'",
                "name": "'Seed Patient ' || g",
                "date_joined": "now() - (g % 1500) * interval '1 day'",
            },
            f"generate_series(1, {patients}) AS g",
        )
    )
    cursor.execute(
        "SELECT min(id), max(id) FROM accounts_user WHERE email LIKE %s",
        [f"patient%@{SEED_DOMAIN}"],
    )
    low, high = cursor.fetchone()
    if high - low + 1 != patients:
        raise SystemExit(f"seed: patient ids are not contiguous ({low}..{high})")
    return int(low)


def _insert_factors(
    cursor: CursorWrapper, template: Factor, low: int, patients: int, factors: int
) -> None:
    """Factor k belongs to patient k mod N: every patient has one, the first half two."""
    cursor.execute(
        _clone_sql(
            "mfa_factor",
            template.pk,
            {
                "id": "gen_random_uuid()",
                "user_id": f"{low} + (k % {patients})",
                "friendly_name": (
                    f"CASE WHEN k < {patients} THEN 'Authenticator app' "
                    f"ELSE 'Authenticator app ' || (k / {patients} + 1) END"
                ),
                "created_at": "now() - (k % 1000) * interval '1 day'",
                "updated_at": "now() - (k % 1000) * interval '1 day'",
                "last_used_at": "now() - (k % 30) * interval '1 day'",
                "last_accepted_step": "NULL",
                # 1 in 100 is an abandoned enrollment that `carekey purge` has not
                # removed yet (at least 99 days old, so long expired).
                "status": "CASE WHEN k % 100 = 99 THEN 'unverified' ELSE 'verified' END",
            },
            f"generate_series(0::bigint, {factors - 1}) AS k",
        )
    )


def _insert_events(
    cursor: CursorWrapper, template: SecurityEvent, low: int, patients: int, events: int
) -> None:
    types = ", ".join(f"'{t.value}'" for t in EVENT_TYPES)
    cursor.execute(
        _clone_sql(
            "audit_securityevent",
            template.pk,
            {
                "type": f"(ARRAY[{types}])[1 + (k * 7) % {len(EVENT_TYPES)}]",
                "user_id": f"{low} + (k % {patients})",
                # Spread over two years, in no order relative to the id.
                "created_at": "now() - ((k * 7919) % 63072000) * interval '1 second'",
                "ip": "('203.0.113.' || (k % 250 + 1))::inet",
            },
            f"generate_series(0::bigint, {events - 1}) AS k",
        )
    )


def _vacuum_and_record(tables: list[str], patients: int, factors: int, events: int) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_seed (patients bigint, factors bigint, "
            "events bigint, seeded_at timestamptz DEFAULT now())"
        )
        cursor.execute(
            "INSERT INTO bench_seed (patients, factors, events) VALUES (%s, %s, %s)",
            [patients, factors, events],
        )


def seed(patients: int, factors: int, events: int) -> dict[str, Any]:
    """Seed patients, factors and audit events fast: one INSERT … generate_series each.

    The shared hash and ciphertext are never checked by the server (bench patients are
    made by `prepare`); they only have to be real values of the real size.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    templates = _templates()
    tables = ["accounts_user", "mfa_factor", "audit_securityevent"]
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
    with _without_secondary_indexes(tables), connection.cursor() as cursor:
        mark = time.perf_counter()
        low = _insert_patients(cursor, templates.user, patients)
        timings["patients_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        _insert_factors(cursor, templates.factor, low, patients, factors)
        timings["factors_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        _insert_events(cursor, templates.event, low, patients, events)
        timings["events_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
    timings["indexes_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    _vacuum_and_record(tables, patients, factors, events)
    timings["vacuum_analyze_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    return {"patients": patients, "factors": factors, "events": events, **timings}


def seeded() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_seed') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return {}
        cursor.execute("SELECT patients, factors, events FROM bench_seed LIMIT 1")
        row = cursor.fetchone()
    return {"patients": row[0], "factors": row[1], "events": row[2]} if row else {}


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in ("accounts_user", "mfa_factor", "audit_securityevent"):
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts
