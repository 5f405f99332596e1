"""What `make bench` measures and how hard: the knobs, the calls, the databases.

Environment knobs: BENCH_WORKERS (4), BENCH_CONNECTIONS (4), BENCH_ROUNDS (5),
BENCH_SECONDS (5), BENCH_PORT (8911), BENCH_RESEED=1 (seed the 1M database again),
BENCH_SKIP_SCALE=1 (1 000 patients only, for a quick look), BENCH_SCALE_PATIENTS,
BENCH_DATABASE (carekey_bench; the 1M database is its name + "_scale").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
WORK = ROOT / "var" / "bench"
PG = "postgres://postgres@127.0.0.1:5432"
# The servers and dbtool load bench_settings, which routes the floor (bench_urls.py).
SETTINGS = "bench_settings"
FLOOR_PATH = "api/v1/bench/floor"

WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", str(WORKERS)))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
FLOOR_SECONDS = max(3.0, SECONDS * 2 / 3)
PORT = int(os.environ.get("BENCH_PORT", "8911"))


@dataclass(frozen=True)
class Call:
    name: str
    label: str
    mode: str  # cycle, spread or once (bench/pool.lua)
    scenario: str  # dbtool prepare scenario; signed_in pools are shared
    expect: int
    target: float | None
    repeats: int = 1
    guess_ratio: float = 2.0  # first-round pool size only


CALLS = [
    Call("page", "GET /portal/security", "cycle", "signed_in", 200, 2.0),
    Call("list", "GET /api/v1/mfa/factors", "cycle", "signed_in", 200, 1.5),
    Call("enroll", "POST /api/v1/mfa/factors (enroll, QR)", "spread", "enroll", 201, 3.0, 10, 8),
    Call(
        "verify_wrong",
        "POST /api/v1/mfa/factors/{id}/verify, wrong code",
        "spread",
        "verify_wrong",
        422,
        1.5,
        5,
        3,
    ),
    Call(
        "verify_right_first",
        "POST /api/v1/mfa/factors/{id}/verify, right code, first factor",
        "once",
        "verify_right_first",
        200,
        2.0,
        1,
        20,
    ),
    Call(
        "verify_right_more",
        "POST /api/v1/mfa/factors/{id}/verify, right code, another factor",
        "once",
        "verify_right_more",
        200,
        2.0,
        1,
        4,
    ),
    Call(
        "session_verify",
        "POST /api/v1/session/verify, right code",
        "once",
        "session_verify",
        200,
        2.0,
        1,
        3,
    ),
    Call(
        "oidc_authorize",
        "GET /o/authorize (signed-in patient, redirect with a code)",
        "cycle",
        "oidc_authorize",
        302,
        None,
    ),
    Call(
        "oidc_token",
        "POST /o/token (code exchange, RS256 ID token)",
        "once",
        "oidc_token",
        200,
        None,
        1,
        3,
    ),
]
FLOOR = Call("floor", f"GET /{FLOOR_PATH} (floor)", "cycle", "signed_in", 200, None)


@dataclass(frozen=True)
class Dataset:
    name: str
    db: str
    patients: int
    factors: int
    events: int


def datasets() -> list[Dataset]:
    """1 000 patients, and unless BENCH_SKIP_SCALE=1 the scale database (1 000 000)."""
    database = os.environ.get("BENCH_DATABASE", "carekey_bench")
    found = [Dataset("1k", database, 1000, 1500, 10_000)]
    if os.environ.get("BENCH_SKIP_SCALE") != "1":
        patients = int(os.environ.get("BENCH_SCALE_PATIENTS", "1000000"))
        found.append(Dataset("1M", f"{database}_scale", patients, patients * 3 // 2, patients * 10))
    return found


@dataclass
class Subject:
    """One database under test, with its own `carekey serve` on its own port."""

    ds: Dataset
    env: dict[str, str]
    out: Path
    port: int
    pid: int = 0

    @property
    def shared(self) -> Path:
        return self.out / "signed_in"
