"""What `make bench` measures and how hard: the knobs, the calls, the subjects.

Environment knobs: BENCH_WORKERS (2 gunicorn sync workers per server), BENCH_CONNECTIONS
(4), BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_PORT (8911, and the next ports),
BENCH_RESEED=1 (seed the 1M database again), BENCH_SKIP_SCALE=1 (1 000 patients only),
BENCH_SCALE_PATIENTS, BENCH_DATABASE (carekey_bench; the 1M database is its name +
"_scale", the peers' its name + "_peer_<site>"), BENCH_QUICK=1 (a smoke run: one round of
2 s, 1 000 patients only, results to var/bench/RESULTS.md instead of bench/RESULTS.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
WORK = ROOT / "var" / "bench"
PG = "postgres://postgres@127.0.0.1:5432"
# The servers and dbtool load bench_settings, which routes the floor (bench_urls.py).
SETTINGS = "bench_settings"
FLOOR_PATH = "api/v1/bench/floor"

QUICK = os.environ.get("BENCH_QUICK") == "1"
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "5"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "2" if QUICK else "5"))
FLOOR_SECONDS = SECONDS if QUICK else 3.0
PORT = int(os.environ.get("BENCH_PORT", "8911"))
RESULTS = WORK / "RESULTS.md" if QUICK else BENCH / "RESULTS.md"


@dataclass(frozen=True)
class Call:
    """One call of one subject.

    target: issue 18's, as a cost ratio to the bare Django floor; own_target: issue 9's,
    to CareKey's own floor. row: the peers' call it is compared with ("" for none).
    """

    name: str
    label: str
    mode: str  # cycle, spread or once (bench/pool.lua)
    scenario: str  # the pool maker; signed_in pools are made once and shared
    expect: int
    target: float | None = None
    own_target: float | None = None
    repeats: int = 1
    guess_ratio: float = 2.0  # first-round pool size only
    row: str = ""


CARE_FLOOR = Call(
    "floor", f"GET /{FLOOR_PATH} (CareKey's floor)", "cycle", "signed_in", 200, 1.2, row="floor"
)
# In the report's order. Targets: issue 18 (x the bare floor), issue 9 (x CareKey's floor).
CALLS = [
    Call("page", "GET /portal/security", "cycle", "signed_in", 200, 4.0, 2.0),
    Call("list", "GET /api/v1/mfa/factors", "cycle", "signed_in", 200, 1.6, 1.5, row="list"),
    Call(
        "enroll",
        "POST /api/v1/mfa/factors (enroll, QR)",
        "spread",
        "enroll",
        201,
        None,
        3.0,
        repeats=10,
        guess_ratio=8,
    ),
    Call(
        "verify_wrong",
        "POST /api/v1/mfa/factors/{id}/verify, wrong code",
        "spread",
        "verify_wrong",
        422,
        1.8,
        1.5,
        repeats=5,
        guess_ratio=3,
        row="verify_wrong",
    ),
    Call(
        "verify_right_first",
        "POST /api/v1/mfa/factors/{id}/verify, right code, first factor",
        "once",
        "verify_right_first",
        200,
        4.0,
        2.0,
        guess_ratio=20,
        row="verify_right",
    ),
    Call(
        "verify_right_more",
        "POST /api/v1/mfa/factors/{id}/verify, right code, another factor",
        "once",
        "verify_right_more",
        200,
        2.4,
        2.0,
        guess_ratio=4,
        row="verify_right",
    ),
    Call(
        "session_verify",
        "POST /api/v1/session/verify, right code",
        "once",
        "session_verify",
        200,
        2.4,
        2.0,
        guess_ratio=3,
        row="verify_right",
    ),
    Call(
        "passkey_sign_in",
        "POST /api/v1/session/passkey (sign in with a passkey)",
        "once",
        "passkey_sign_in",
        200,
        guess_ratio=4,
    ),
    Call(
        "oidc_authorize",
        "GET /o/authorize (signed-in patient, redirect with a code)",
        "cycle",
        "oidc_authorize",
        302,
    ),
    Call(
        "oidc_token",
        "POST /o/token (code exchange, RS256 ID token)",
        "once",
        "oidc_token",
        200,
        guess_ratio=12,
    ),
]
# The order within a round: the floor and the calls the peers share first, the passkey
# sign-in early (its challenges live five minutes from the round's pools).
MEASURE_ORDER = [
    "floor",
    "list",
    "verify_wrong",
    "session_verify",
    "passkey_sign_in",
    "verify_right_more",
    "verify_right_first",
    "page",
    "enroll",
    "oidc_authorize",
    "oidc_token",
]


def carekey_calls() -> list[Call]:
    by_name = {c.name: c for c in [CARE_FLOOR, *CALLS]}
    return [by_name[name] for name in MEASURE_ORDER]


def peer_calls(list_label: str, verify_label: str, refused: int) -> list[Call]:
    """The four calls of a peer: its floor, its list and a wrong and a right code, each
    code to a device and session of its own (django-otp throttles a device after a
    failure; allauth limits failures per account)."""
    return [
        Call("floor", "GET /floor", "cycle", "signed_in", 200, row="floor"),
        Call("list", list_label, "cycle", "signed_in", 200, row="list"),
        Call(
            "verify_wrong",
            f"{verify_label}, wrong code",
            "once",
            "verify_wrong",
            refused,
            guess_ratio=2,
            row="verify_wrong",
        ),
        Call(
            "verify_right",
            f"{verify_label}, right code",
            "once",
            "verify_right",
            200,
            guess_ratio=2.5,
            row="verify_right",
        ),
    ]


@dataclass(frozen=True)
class Peer:
    """A peer project in bench/peers/: its subject name, package, title and calls."""

    name: str
    site: str
    title: str
    calls: list[Call] = field(default_factory=list)


BARE = Peer(
    "floor",
    "floor_site",
    "bare Django floor",
    [Call("floor", "GET /floor (bare Django floor)", "cycle", "signed_in", 200, row="floor")],
)
PEERS = [
    Peer(
        "django_otp",
        "otp_site",
        "django-otp",
        peer_calls("GET /otp/devices (devices_for_user)", "POST /otp/verify (OTPTokenForm)", 422),
    ),
    Peer(
        "allauth_mfa",
        "allauth_site",
        "allauth.mfa",
        peer_calls(
            "GET /_allauth/browser/v1/account/authenticators",
            "POST /_allauth/browser/v1/auth/2fa/authenticate",
            400,
        ),
    ),
]


@dataclass(frozen=True)
class Dataset:
    name: str
    db: str
    patients: int
    factors: int
    events: int


def database_name() -> str:
    return os.environ.get("BENCH_DATABASE", "carekey_bench")


def datasets() -> list[Dataset]:
    """1 000 patients, and unless BENCH_SKIP_SCALE=1 (or BENCH_QUICK=1) 1 000 000."""
    database = database_name()
    found = [Dataset("1k", database, 1000, 1500, 10_000)]
    if os.environ.get("BENCH_SKIP_SCALE") != "1" and not QUICK:
        patients = int(os.environ.get("BENCH_SCALE_PATIENTS", "1000000"))
        found.append(Dataset("1M", f"{database}_scale", patients, patients * 3 // 2, patients * 10))
    return found


@dataclass
class Subject:
    """One server under test: a CareKey database or a peer, on its own port.

    `tool` is the command that makes its pools (bench/dbtool.py, or the peer's
    `python -m django peer`), run with `env`.
    """

    name: str
    db: str
    env: dict[str, str]
    out: Path
    port: int
    calls: list[Call]
    tool: list[str]
    ds: Dataset | None = None
    peer: Peer | None = None
    pid: int = 0

    @property
    def shared(self) -> Path:
        return self.out / "signed_in"

    @property
    def is_carekey(self) -> bool:
        return self.peer is None
