"""The Django side of the benchmark: seed, prepare pools, count queries, EXPLAIN, time hashes.

Run by bench/run.py as `python bench/dbtool.py COMMAND ...` with DATABASE_URL,
CAREKEY_DATA_DIR and DJANGO_SETTINGS_MODULE set to the bench server's values, so the
rows it writes are read by the server with the same keys. Every command prints one JSON
document on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carekey.settings")
os.environ.setdefault("CAREKEY_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import login  # noqa: E402
from django.contrib.auth.hashers import get_hasher, make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.middleware.csrf import _get_new_csrf_string  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from carekey import clock  # noqa: E402
from carekey.accounts import sessions  # noqa: E402
from carekey.accounts.models import PortalSession, ThrottleState, User  # noqa: E402
from carekey.accounts.session_store import SessionStore  # noqa: E402
from carekey.audit.models import SecurityEvent  # noqa: E402
from carekey.mfa import recovery, totp, vault  # noqa: E402
from carekey.mfa.models import Factor, RecoveryCode  # noqa: E402

PASSWORD = "bench-password-not-secret-42"
UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36"
)
BENCH_DOMAIN = "bench.example.org"
SEED_DOMAIN = "seed.example.org"
# Pools carry codes for this many 30 s steps from their creation: they are spent within minutes.
CODE_STEPS = 40
EVENT_TYPES = (
    "signin.succeeded",
    "mfa.challenge.succeeded",
    "signin.failed",
    "mfa.challenge.failed",
    "mfa.factor.enrolled",
    "mfa.factor.verified",
    "recovery_codes.generated",
    "app_lock.updated",
)


def emit(value: object) -> None:
    json.dump(value, sys.stdout, default=str)
    sys.stdout.write("\n")


# --- seeding (generate_series, one statement per table) ------------------------------------


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


def seed(patients: int, factors: int, events: int) -> dict[str, Any]:
    """Seed patients, factors and audit events fast: one INSERT … generate_series each.

    One Argon2 hash and one Fernet ciphertext are computed once and shared by every row:
    the server never checks them (bench patients are made by `prepare`), they only have
    to be real values of the real size.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    password_hash = make_password(PASSWORD)
    template_user = User.objects.create(
        email=f"template@{SEED_DOMAIN}", password=password_hash, name="Seed Patient"
    )
    template_factor = Factor.objects.create(
        user=template_user,
        friendly_name="Authenticator app",
        status=Factor.Status.VERIFIED,
        secret_ciphertext=vault.seal(totp.generate_secret()),
    )
    template_event = SecurityEvent.objects.create(
        type="signin.succeeded", user=template_user, ip="203.0.113.7", user_agent=UA
    )
    tables = ["accounts_user", "mfa_factor", "audit_securityevent"]
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
    with _without_secondary_indexes(tables), connection.cursor() as cursor:
        mark = time.perf_counter()
        cursor.execute(
            _clone_sql(
                "accounts_user",
                template_user.pk,
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
        timings["patients_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        # Factor k belongs to patient k mod N: every patient has one, the first half two.
        cursor.execute(
            _clone_sql(
                "mfa_factor",
                template_factor.pk,
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
        timings["factors_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        types = ", ".join(f"'{t}'" for t in EVENT_TYPES)
        cursor.execute(
            _clone_sql(
                "audit_securityevent",
                template_event.pk,
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
        timings["events_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
    timings["indexes_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
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


# --- bench patients, their sessions and the load generator's pools -------------------------


def cleanup() -> dict[str, int]:
    """Remove what earlier bench runs added, so a reused database stays as it was seeded."""
    users = User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}")
    ids = list(users.values_list("id", flat=True))
    events, _ = SecurityEvent.objects.filter(user_id__in=ids).delete()
    ThrottleState.objects.filter(key__in=[f"user:{i}" for i in ids]).delete()
    PortalSession.objects.filter(user_id__in=ids).delete()
    deleted, _ = users.delete()
    return {"patients": len(ids), "events": events, "rows": deleted}


def _open_session(user: User, level: str) -> str:
    """A session exactly as sign-in leaves it, without paying Argon2 for each one.

    `level` is "aal1" (no factor yet), "await" (password given, code owed) or "aal2".
    """
    request = RequestFactory().post("/api/v1/session", HTTP_USER_AGENT=UA, REMOTE_ADDR="127.0.0.1")
    request.session = SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    sessions.start(request, next_level="aal1" if level == "aal1" else "aal2")
    if level == "aal2":
        sessions.set_level(request, "aal2")
    request.session.save()
    key = request.session.session_key
    assert key is not None
    return key


class Pool:
    """Lines for bench/pool.lua: method, path, cookie, CSRF token, body, first step, codes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(
        self,
        method: str,
        url: str,
        session_key: str,
        body: str = "",
        codes_for: str | None = None,
    ) -> None:
        csrf = _get_new_csrf_string()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
        step0 = totp.step_at(time.time())
        codes = (
            ",".join(totp.code_at_step(codes_for, step0 + i) for i in range(CODE_STEPS))
            if codes_for
            else ""
        )
        self.lines.append("\t".join([method, url, cookie, csrf, body, str(step0), codes]))

    def write(self) -> None:
        self.path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


def _make_patients(tag: str, count: int) -> list[User]:
    password_hash = make_password(PASSWORD)
    users = [
        User(email=f"{tag}-{i}-{secrets.token_hex(3)}@{BENCH_DOMAIN}", password=password_hash)
        for i in range(count)
    ]
    for user in users:
        user.name = "Bench Patient"
    return User.objects.bulk_create(users)


def _add_factors(users: list[User], status: str, name: str = "Authenticator app") -> list[str]:
    """One factor per patient; returns the secrets in the same order."""
    secret_list = [totp.generate_secret() for _ in users]
    now = clock.now()
    Factor.objects.bulk_create(
        Factor(
            user=user,
            friendly_name=name,
            status=status,
            secret_ciphertext=vault.seal(secret),
            # A verified factor was last used well before the pool's codes.
            last_accepted_step=totp.step_at(time.time()) - 10 if status == "verified" else None,
            created_at=now,
            updated_at=now,
        )
        for user, secret in zip(users, secret_list, strict=True)
    )
    return secret_list


def _add_recovery_codes(users: list[User]) -> None:
    code_hash = recovery.hash_code(recovery.normalize(recovery.generate_codes(1)[0]))
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=code_hash) for user in users for _ in range(10)
    )


def _add_events(users: list[User], per_user: int) -> None:
    now = clock.now()
    SecurityEvent.objects.bulk_create(
        (
            SecurityEvent(
                type=EVENT_TYPES[i % len(EVENT_TYPES)],
                user=user,
                created_at=now - timedelta(hours=i + 1),
                ip="203.0.113.9",
                user_agent=UA,
                detail={"bench": True},
            )
            for user in users
            for i in range(per_user)
        ),
        batch_size=2000,
    )


def _factor_ids(users: list[User], status: str) -> list[str]:
    by_user = dict(
        Factor.objects.filter(user__in=users, status=status).values_list("user_id", "id")
    )
    return [str(by_user[user.pk]) for user in users]


def prepare_signed_in(out: Path, count: int, floor_path: str) -> dict[str, Any]:
    """Patients with two verified factors, 20 events and an aal2 session: the GET calls."""
    users = _make_patients("page", count)
    _add_factors(users, "verified")
    _add_factors(users, "verified", name="Work phone")
    _add_recovery_codes(users)
    _add_events(users, 20)
    keys = [_open_session(user, "aal2") for user in users]
    pools = {
        "floor": f"/{floor_path}",
        "page": "/portal/security",
        "list": "/api/v1/mfa/factors",
    }
    for name, url in pools.items():
        pool = Pool(out / f"{name}.tsv")
        for key in keys:
            pool.add("GET", url, key)
        pool.write()
    return {"patients": count, "pools": sorted(pools)}


def prepare_enroll(out: Path, count: int) -> dict[str, Any]:
    """Patients without a factor (no reauthentication needed), ten enrollments each."""
    users = _make_patients("enroll", count)
    pool = Pool(out / "enroll.tsv")
    for user in users:
        pool.add(
            "POST", "/api/v1/mfa/factors", _open_session(user, "aal1"), '{"factor_type":"totp"}'
        )
    pool.write()
    return {"patients": count, "requests": count * 10}


def prepare_verify_wrong(out: Path, count: int) -> dict[str, Any]:
    """One fresh factor per patient; five wrong codes each stay under the throttle."""
    users = _make_patients("wrong", count)
    secret_list = _add_factors(users, "unverified")
    pool = Pool(out / "verify_wrong.tsv")
    step = totp.step_at(time.time())
    for user, secret, factor_id in zip(
        users, secret_list, _factor_ids(users, "unverified"), strict=True
    ):
        window = {totp.code_at_step(secret, step + i) for i in range(-2, CODE_STEPS + 2)}
        wrong = next(f"{n:06d}" for n in range(1000) if f"{n:06d}" not in window)
        pool.add(
            "POST",
            f"/api/v1/mfa/factors/{factor_id}/verify",
            _open_session(user, "aal1"),
            json.dumps({"code": wrong}),
        )
    pool.write()
    return {"patients": count, "requests": count * 5}


def prepare_verify_right(out: Path, count: int, first: bool) -> dict[str, Any]:
    """A fresh factor per patient, verified once with its own code (no replay in the way).

    first: the patient's first factor (ten recovery codes are made and hashed);
    else the patient already has a verified factor and recovery codes, and an aal2 session.
    """
    tag = "first" if first else "more"
    users = _make_patients(tag, count)
    if not first:
        _add_factors(users, "verified")
        _add_recovery_codes(users)
    secret_list = _add_factors(users, "unverified", name="New phone")
    pool = Pool(out / f"verify_right_{tag}.tsv")
    for user, secret, factor_id in zip(
        users, secret_list, _factor_ids(users, "unverified"), strict=True
    ):
        pool.add(
            "POST",
            f"/api/v1/mfa/factors/{factor_id}/verify",
            _open_session(user, "aal1" if first else "aal2"),
            '{"code":"{code}"}',
            codes_for=secret,
        )
    pool.write()
    return {"patients": count, "requests": count}


def prepare_session_verify(out: Path, count: int) -> dict[str, Any]:
    """Patients with a verified factor whose session waits for the second step."""
    users = _make_patients("signin", count)
    secret_list = _add_factors(users, "verified")
    _add_recovery_codes(users)
    pool = Pool(out / "session_verify.tsv")
    for user, secret in zip(users, secret_list, strict=True):
        pool.add(
            "POST",
            "/api/v1/session/verify",
            _open_session(user, "await"),
            '{"code":"{code}"}',
            codes_for=secret,
        )
    pool.write()
    return {"patients": count, "requests": count}


def prepare(wanted: list[str], out: Path, floor_path: str) -> dict[str, Any]:
    """Make the pools `wanted` ("scenario=count" each) under `out`/<scenario>/."""
    makers: dict[str, Callable[[Path, int], dict[str, Any]]] = {
        "signed_in": lambda where, n: prepare_signed_in(where, n, floor_path),
        "enroll": prepare_enroll,
        "verify_wrong": prepare_verify_wrong,
        "verify_right_first": lambda where, n: prepare_verify_right(where, n, first=True),
        "verify_right_more": lambda where, n: prepare_verify_right(where, n, first=False),
        "session_verify": prepare_session_verify,
    }
    made = {}
    for item in wanted:
        scenario, _, count = item.partition("=")
        started = time.perf_counter()
        where = out / scenario
        where.mkdir(parents=True, exist_ok=True)
        with transaction.atomic():
            result = makers[scenario](where, int(count))
        made[scenario] = {**result, "seconds": time.perf_counter() - started}
    return made


# --- Argon2: the sign-in cost, kept apart from the other figures ---------------------------


def _timed(action: Callable[[], object], repeat: int) -> dict[str, float]:
    action()
    samples = []
    for _ in range(repeat):
        mark = time.perf_counter()
        action()
        samples.append((time.perf_counter() - mark) * 1000)
    return {
        "median_ms": statistics.median(samples),
        "min_ms": min(samples),
        "max_ms": max(samples),
        "samples": repeat,
    }


def argon2_cost(repeat: int) -> dict[str, Any]:
    hasher: Any = get_hasher()
    encoded = make_password(PASSWORD)
    params = recovery._HASHER  # the recovery-code hasher's own parameters
    stored = recovery.hash_code(recovery.normalize(recovery.generate_codes(1)[0]))
    code = recovery.normalize(recovery.generate_codes(1)[0])
    return {
        "password": {
            "hasher": f"{type(hasher).__module__}.{type(hasher).__name__}",
            "variant": "argon2id",
            "time_cost": hasher.time_cost,
            "memory_cost_kib": hasher.memory_cost,
            "parallelism": hasher.parallelism,
            "hash": _timed(lambda: make_password(PASSWORD), repeat),
            "verify": _timed(lambda: hasher.verify(PASSWORD, encoded), repeat),
        },
        "recovery_code": {
            "variant": "argon2id",
            "time_cost": params.time_cost,
            "memory_cost_kib": params.memory_cost,
            "parallelism": params.parallelism,
            "hash": _timed(lambda: recovery.hash_code(code), repeat * 4),
            "verify_miss": _timed(lambda: recovery.matches(code, stored), repeat * 4),
        },
        "cpu_count": os.cpu_count(),
    }


# --- what each benchmarked call asks of the database ---------------------------------------


def _explain(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        if sql.lstrip().upper().startswith("SELECT"):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql)
        else:
            cursor.execute("EXPLAIN (COSTS OFF) " + sql)
        return [row[0] for row in cursor.fetchall()]


def _scan_kinds(plan: list[str]) -> list[str]:
    kinds = []
    for line in plan:
        text = line.strip().lstrip("-> ").strip()
        for kind in ("Index Only Scan", "Bitmap Index Scan", "Index Scan", "Seq Scan"):
            if text.startswith(kind):
                kinds.append(text.split("  ")[0])
                break
    return kinds


def profile_queries(scenario_calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    from django.test.utils import CaptureQueriesContext

    report: dict[str, Any] = {}
    for name, call in scenario_calls.items():
        with CaptureQueriesContext(connection) as captured:
            status = call()
        queries = [q["sql"] for q in captured.captured_queries]
        explained = []
        for sql in queries:
            head = sql.lstrip().split(" ", 1)[0].upper()
            if head not in ("SELECT", "UPDATE", "DELETE"):
                explained.append({"sql": sql, "plan": [], "scans": []})
                continue
            with transaction.atomic():
                plan = _explain(sql)
                transaction.set_rollback(True)
            explained.append({"sql": sql, "plan": plan, "scans": _scan_kinds(plan)})
        report[name] = {"status": status, "queries": len(queries), "explained": explained}
    return report


def query_report(floor_path: str) -> dict[str, Any]:
    """Run each benchmarked call once in-process, capture its SQL and EXPLAIN each statement."""
    from django.test import Client

    users = _make_patients("explain", 7)
    for user in users[:2]:
        _add_factors([user], "verified")
        _add_factors([user], "verified", name="Work phone")
        _add_recovery_codes([user])
        _add_events([user], 20)
    first_secret = _add_factors([users[2]], "unverified", name="New phone")[0]
    first_id = _factor_ids([users[2]], "unverified")[0]
    signin_secret = _add_factors([users[3]], "verified")[0]
    _add_recovery_codes([users[3]])
    _add_factors([users[4]], "unverified")
    wrong_id = _factor_ids([users[4]], "unverified")[0]
    _add_factors([users[6]], "verified")
    _add_recovery_codes([users[6]])
    more_secret = _add_factors([users[6]], "unverified", name="New phone")[0]
    more_id = _factor_ids([users[6]], "unverified")[0]

    def client(user: User, level: str) -> Client:
        c = Client(HTTP_USER_AGENT=UA, HTTP_HOST="127.0.0.1")
        c.cookies[settings.SESSION_COOKIE_NAME] = _open_session(user, level)
        return c

    page = client(users[0], "aal2")
    enroller = client(users[5], "aal1")
    wrong = client(users[4], "aal1")
    first = client(users[2], "aal1")
    signin = client(users[3], "await")
    another = client(users[6], "aal2")
    step = totp.step_at(time.time())

    def post(c: Client, url: str, body: dict[str, str]) -> int:
        return c.post(url, body, content_type="application/json").status_code

    calls: dict[str, Callable[[], Any]] = {
        "floor": lambda: page.get(f"/{floor_path}").status_code,
        "page": lambda: page.get("/portal/security").status_code,
        "list": lambda: page.get("/api/v1/mfa/factors").status_code,
        "enroll": lambda: post(enroller, "/api/v1/mfa/factors", {"factor_type": "totp"}),
        "verify_wrong": lambda: post(
            wrong, f"/api/v1/mfa/factors/{wrong_id}/verify", {"code": "000000"}
        ),
        "verify_right_first": lambda: post(
            first,
            f"/api/v1/mfa/factors/{first_id}/verify",
            {"code": totp.code_at_step(first_secret, step)},
        ),
        "verify_right_more": lambda: post(
            another,
            f"/api/v1/mfa/factors/{more_id}/verify",
            {"code": totp.code_at_step(more_secret, step)},
        ),
        "session_verify": lambda: post(
            signin, "/api/v1/session/verify", {"code": totp.code_at_step(signin_secret, step)}
        ),
    }
    for name in ("floor", "page", "list"):
        calls[name]()  # warm: the first request of a session writes its activity
    return profile_queries(calls)


# --- micro-benchmarks of the slow parts found by the profiles ------------------------------


def micro(repeat: int) -> dict[str, Any]:
    """Time the pieces the first profiles pointed at: before (the code as it was, rebuilt
    here) and now (the product as it is), in the same process."""
    import io

    import segno
    from argon2 import PasswordHasher

    secret = totp.generate_secret()
    uri = totp.provisioning_uri(secret, "patient@example.org", "CareKey")
    before_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    now_kib = recovery._HASHER.memory_cost
    code = recovery.normalize(recovery.generate_codes(1)[0])

    def qr_before() -> bytes:
        qr = segno.make_qr(uri, error="m")  # segno evaluates all eight masks
        buffer = io.BytesIO()
        qr.save(buffer, kind="svg", xmldecl=False, scale=5, border=4)
        return buffer.getvalue()

    few = max(3, repeat // 4)
    return {
        "QR code, before: best of eight masks": _timed(qr_before, repeat),
        "QR code, now: fixed mask (totp.qr_code_data_uri)": _timed(
            lambda: totp.qr_code_data_uri(uri), repeat
        ),
        "10 recovery-code hashes, before: argon2id t=1 m=8 MiB": _timed(
            lambda: [before_hasher.hash(code) for _ in range(10)], few
        ),
        f"10 recovery-code hashes, now: argon2id t=1 m={now_kib} KiB": _timed(
            lambda: [recovery.hash_code(code) for _ in range(10)], few
        ),
        "1 Fernet encrypt + decrypt": _timed(lambda: vault.unseal(vault.seal(secret)), repeat),
        **_throttle_micro(repeat),
    }


def _throttle_micro(repeat: int) -> dict[str, Any]:
    """A failed check's count: before (get_or_create, update, read back, in a transaction)
    and now (throttle.reserve: one conditional upsert that counts before the check)."""
    from django.db import transaction
    from django.db.models import F

    from carekey.accounts import throttle

    key = f"bench:micro:{secrets.token_hex(4)}"

    def before() -> None:
        with transaction.atomic():
            ThrottleState.objects.get_or_create(key=key + ":b")
            ThrottleState.objects.filter(key=key + ":b").update(failures=F("failures") + 1)
            ThrottleState.objects.values_list("failures", flat=True).get(key=key + ":b")
        ThrottleState.objects.filter(key=key + ":b").update(failures=0, blocked_until=None)

    def now() -> None:
        throttle.reserve(key).failed()
        ThrottleState.objects.filter(key=key).update(failures=0, blocked_until=None)

    try:
        return {
            "a failed check's count + reset, before: four statements in a transaction": _timed(
                before, repeat
            ),
            "a failed check's count + reset, now: one upsert (throttle.reserve)": _timed(
                now, repeat
            ),
        }
    finally:
        ThrottleState.objects.filter(key__startswith=key).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed")
    p.add_argument("--patients", type=int, required=True)
    p.add_argument("--factors", type=int, required=True)
    p.add_argument("--events", type=int, required=True)
    sub.add_parser("seeded")
    sub.add_parser("counts")
    sub.add_parser("cleanup")
    p = sub.add_parser("prepare")
    p.add_argument("wanted", nargs="+", help="scenario=count, e.g. enroll=40")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--floor-path", default="api/v1/bench/floor")
    p = sub.add_parser("argon2")
    p.add_argument("--repeat", type=int, default=9)
    p = sub.add_parser("queries")
    p.add_argument("--floor-path", default="api/v1/bench/floor")
    p = sub.add_parser("micro")
    p.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    if args.command == "seed":
        emit(seed(args.patients, args.factors, args.events))
    elif args.command == "seeded":
        emit(seeded())
    elif args.command == "counts":
        emit(table_counts())
    elif args.command == "cleanup":
        emit(cleanup())
    elif args.command == "prepare":
        emit(prepare(args.wanted, args.out, args.floor_path))
    elif args.command == "argon2":
        emit(argon2_cost(args.repeat))
    elif args.command == "queries":
        emit(query_report(args.floor_path))
    elif args.command == "micro":
        emit(micro(args.repeat))


if __name__ == "__main__":
    main()
