"""`make bench`: CareKey's security calls against a bare Django floor, at 1 000 and 1 000 000
patients, written to bench/RESULTS.md.

For each database it starts `carekey serve` (gunicorn) on PostgreSQL, both at once on
ports BENCH_PORT and BENCH_PORT+1, and drives them with wrk (bench/pool.lua) from a
separate process. Each call is measured between two runs of the floor on the same server,
on one database and then the other, several rounds over, and reported as a ratio to the
floor. Environment knobs: BENCH_WORKERS (4), BENCH_CONNECTIONS (4), BENCH_ROUNDS (5),
BENCH_SECONDS (5), BENCH_PORT (8911), BENCH_RESEED=1 (seed the 1M database again),
BENCH_SKIP_SCALE=1 (1 000 patients only, for a quick look), BENCH_SCALE_PATIENTS.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
WORK = ROOT / "var" / "bench"
PG = "postgres://postgres@127.0.0.1:5432"

WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", str(WORKERS)))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
FLOOR_SECONDS = max(3.0, SECONDS * 2 / 3)
PORT = int(os.environ.get("BENCH_PORT", "8911"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
FLOOR_PATH = "api/v1/bench/floor"


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
]
FLOOR = Call("floor", f"GET /{FLOOR_PATH} (floor)", "cycle", "signed_in", 200, None)


@dataclass(frozen=True)
class Dataset:
    name: str
    db: str
    patients: int
    factors: int
    events: int


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


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(args: list[str], env: dict[str, str] | None = None, check: bool = True) -> str:
    result = subprocess.run(  # noqa: S603 - fixed programs, arguments from this file
        args, env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=3600
    )
    if check and result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"bench: {' '.join(args[:4])} failed ({result.returncode})")
    return result.stdout


def psql(sql: str, db: str = "postgres") -> str:
    return run(["psql", f"{PG}/{db}", "-qAtc", sql])


# --- the environment of the server and of dbtool -----------------------------------------


def floor_routed(env: dict[str, str]) -> bool:
    probe = (
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        f"try: resolve('/{FLOOR_PATH}'); print('yes')\nexcept Resolver404: print('no')"
    )
    return run([PYTHON, "-c", probe], env=env).strip().endswith("yes")


def app_env(db: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{db}",
        "CAREKEY_DATA_DIR": str(WORK / "data"),
        "CAREKEY_ENV": "development",
        "CAREKEY_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CAREKEY_BENCH_FLOOR": "1",
        "DJANGO_SETTINGS_MODULE": "carekey.settings",
    }
    env.pop("CAREKEY_DEBUG", None)
    if not floor_routed(env):
        raise SystemExit(f"/{FLOOR_PATH} is not routed: is CAREKEY_BENCH_FLOOR=1 honoured?")
    return env


def dbtool(env: dict[str, str], *args: str) -> Any:
    out = run([PYTHON, str(BENCH / "dbtool.py"), *args], env=env)
    return json.loads(out.strip().splitlines()[-1])


# --- CPU accounting from /proc --------------------------------------------------------------


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


def _postgres_backends(db: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cmdline.startswith("postgres: ") and f" {db} " in cmdline:
            pids.append(int(entry.name))
    return pids


def _machine_busy_ticks() -> int:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4]


@dataclass
class CpuSample:
    app: int
    db: dict[int, int]  # per backend: one that ends between samples takes its CPU with it
    busy: int
    at: float

    def db_since(self, before: CpuSample) -> int:
        return sum(ticks - before.db.get(pid, 0) for pid, ticks in self.db.items())


def cpu_sample(server_pid: int, db: str) -> CpuSample:
    app = _cpu_ticks(server_pid) + sum(_cpu_ticks(p) for p in _children(server_pid))
    backends = {p: _cpu_ticks(p) for p in _postgres_backends(db)}
    return CpuSample(app, backends, _machine_busy_ticks(), time.monotonic())


# --- the server -----------------------------------------------------------------------------


@contextmanager
def server(env: dict[str, str], out: Path, port: int) -> Iterator[int]:
    logfile = (out / "server.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        [
            PYTHON,
            "-m",
            "carekey",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
        ],
        env=env,
        cwd=ROOT,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"bench: the server exited; see {out / 'server.log'}")
            if len(_children(process.pid)) >= WORKERS and _port_open(port):
                break
            time.sleep(0.2)
        else:
            raise SystemExit("bench: the server did not start within 60 s")
        time.sleep(1.0)
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        logfile.close()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- wrk ------------------------------------------------------------------------------------


@dataclass
class Measure:
    call: str
    requests: int
    sent: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]
    app_cpu_ms: float  # per request
    db_cpu_ms: float
    wrk_cpu_ms: float
    other_cores: float  # other work on the machine meanwhile, in cores
    expected_share: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


def wrk(
    subject: Subject, pool: Path, mode: str, repeats: int, seconds: float, call: Call
) -> Measure:
    args = [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{max(1, math.ceil(seconds))}s",
        "--timeout",
        "20s",
        "-s",
        str(BENCH / "pool.lua"),
        f"http://127.0.0.1:{subject.port}",
        "--",
        str(pool),
        mode,
        str(repeats),
    ]
    server_pid, db = subject.pid, subject.ds.db
    before = cpu_sample(server_pid, db)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(  # noqa: S603
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = process.communicate()
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    time.sleep(0.3)  # let requests still in flight finish before the CPU is read
    after = cpu_sample(server_pid, db)
    lines = [ln for ln in stdout.splitlines() if ln.startswith("BENCH_JSON ")]
    if process.returncode != 0 or not lines:
        raise SystemExit(f"bench: wrk failed for {call.name}: {stdout[-2000:]}{stderr[-2000:]}")
    data = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    requests = int(data["requests"])
    sent = max(int(data["sent"]), requests, 1)
    # wrk's duration is always the whole -d; a pool may be spent sooner.
    seconds_run = (data["active_us"] or data["duration_us"]) / 1e6
    wrk_ms = (
        children_after.ru_utime
        + children_after.ru_stime
        - children_before.ru_utime
        - children_before.ru_stime
    ) * 1000
    app_ms = (after.app - before.app) * 1000 / CLK_TCK
    db_ms = after.db_since(before) * 1000 / CLK_TCK
    busy_ms = (after.busy - before.busy) * 1000 / CLK_TCK
    elapsed = max(after.at - before.at, 1e-6)
    other = max(0.0, busy_ms - app_ms - db_ms - wrk_ms) / 1000 / elapsed
    statuses = {str(k): int(v) for k, v in data["statuses"].items()}
    return Measure(
        call=call.name,
        requests=requests,
        sent=sent,
        seconds=seconds_run,
        rps=requests / seconds_run if seconds_run else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        statuses=statuses,
        errors={k: int(v) for k, v in data["errors"].items() if k != "status"},
        app_cpu_ms=app_ms / sent,
        db_cpu_ms=db_ms / sent,
        wrk_cpu_ms=wrk_ms / sent,
        other_cores=other,
        expected_share=statuses.get(str(call.expect), 0) / max(requests, 1),
    )


# --- one database: seed, serve, measure ---------------------------------------------------


def ensure_database(ds: Dataset, env: dict[str, str], reseed: bool) -> dict[str, Any]:
    query = f"SELECT 1 FROM pg_database WHERE datname = '{ds.db}'"  # noqa: S608
    exists = psql(query).strip() == "1"
    if exists and not reseed:
        run([PYTHON, "-m", "carekey", "migrate", "-v0"], env=env)
        have = dbtool(env, "seeded")
        if have == {"patients": ds.patients, "factors": ds.factors, "events": ds.events}:
            log(f"{ds.name}: reusing the seeded database {ds.db} (BENCH_RESEED=1 seeds anew)")
            return {"reused": True}
    log(f"{ds.name}: creating {ds.db} and seeding it")
    psql(f'DROP DATABASE IF EXISTS "{ds.db}"')
    psql(f'CREATE DATABASE "{ds.db}"')
    run([PYTHON, "-m", "carekey", "migrate", "-v0"], env=env)
    seeded = dbtool(
        env,
        "seed",
        f"--patients={ds.patients}",
        f"--factors={ds.factors}",
        f"--events={ds.events}",
    )
    log(f"{ds.name}: seeded in {seeded['total_s']:.0f} s")
    return {"reused": False, **seeded}


def warm_up(subject: Subject) -> None:
    """Until the floor's rate settles: a fresh worker's first requests take seconds."""
    last = 0.0
    for _ in range(8):
        rps = wrk(subject, subject.shared / "floor.tsv", "cycle", 1, 3, FLOOR).rps
        if last and rps > 0 and abs(rps - last) / max(rps, last) < 0.2:
            break
        last = rps
    for name in ("page", "list"):
        wrk(subject, subject.shared / f"{name}.tsv", "cycle", 1, 3, FLOOR)


def split_pool(path: Path, warm_lines: int) -> tuple[Path, Path]:
    lines = path.read_text().splitlines()
    warm = path.with_suffix(".warm.tsv")
    warm.write_text("\n".join(lines[:warm_lines]) + "\n")
    path.write_text("\n".join(lines[warm_lines:]) + "\n")
    return warm, path


def pool_size(call: Call, floor_rps: float, seen_rps: float | None) -> int:
    """Enough requests for SECONDS at the expected rate, with a margin."""
    rps = seen_rps if seen_rps else floor_rps / call.guess_ratio
    return max(2 * CONNECTIONS, math.ceil(rps * SECONDS * 1.6 / call.repeats))


def measure(subjects: list[Subject]) -> dict[str, dict[str, Any]]:
    """Every call on every database, interleaved: call, floor, next database, and so on.

    Both servers run side by side, so a call at 1 000 000 patients is measured seconds
    from the same call at 1 000, under the same background load.
    """
    data: dict[str, dict[str, Any]] = {}
    floor_before: dict[str, Measure] = {}
    seen: dict[str, dict[str, float]] = {}
    for subject in subjects:
        name = subject.ds.name
        subject.out.mkdir(parents=True, exist_ok=True)
        dbtool(subject.env, "cleanup")
        data[name] = {
            "counts": dbtool(subject.env, "counts"),
            "runs": {c.name: [] for c in [FLOOR, *CALLS]},
            "ratios": {c.name: [] for c in CALLS},
        }
        dbtool(subject.env, "prepare", "signed_in=16", f"--out={subject.out}")
        seen[name] = {}
    for subject in subjects:
        warm_up(subject)
        floor_before[subject.ds.name] = wrk(
            subject, subject.shared / "floor.tsv", "cycle", 1, FLOOR_SECONDS, FLOOR
        )
        data[subject.ds.name]["runs"]["floor"].append(vars(floor_before[subject.ds.name]))
    for round_no in range(1, ROUNDS + 1):
        pools = {
            s.ds.name: prepare_round(s, floor_before[s.ds.name].rps, seen[s.ds.name], round_no)
            for s in subjects
        }
        # Odd rounds start with the first database, even rounds with the other.
        order = subjects if round_no % 2 else subjects[::-1]
        for call in CALLS:
            for subject in order:
                name = subject.ds.name
                pool = pools[name].get(call.name, subject.shared / f"{call.name}.tsv")
                if round_no == 1 and call.scenario != "signed_in":
                    warm, pool = split_pool(pool, 2 * CONNECTIONS)
                    wrk(subject, warm, call.mode, call.repeats, 2, call)
                measured = wrk(subject, pool, call.mode, call.repeats, SECONDS, call)
                seen[name][call.name] = measured.rps
                floor_after = wrk(
                    subject, subject.shared / "floor.tsv", "cycle", 1, FLOOR_SECONDS, FLOOR
                )
                runs, pairs = data[name]["runs"], data[name]["ratios"]
                runs[call.name].append(vars(measured))
                runs["floor"].append(vars(floor_after))
                pairs[call.name].append(ratios(measured, floor_before[name], floor_after))
                log(
                    f"{name} r{round_no} {call.name}: {measured.rps:.0f} req/s, "
                    f"{pairs[call.name][-1]['cost']:.2f}x floor, "
                    f"app {measured.app_cpu_ms:.1f} ms/req, statuses {measured.statuses}"
                )
                floor_before[name] = floor_after
    for subject in subjects:
        data[subject.ds.name]["queries"] = dbtool(
            subject.env, "queries", f"--floor-path={FLOOR_PATH}"
        )
    return data


def prepare_round(
    subject: Subject, floor_rps: float, seen: dict[str, float], round_no: int
) -> dict[str, Path]:
    """Fresh pools for every call that spends them, made in one process before the round."""
    where = subject.out / f"r{round_no}"
    wanted = {}
    for call in CALLS:
        if call.scenario == "signed_in":
            continue
        warm_lines = 2 * CONNECTIONS if round_no == 1 else 0
        wanted[call.scenario] = pool_size(call, floor_rps, seen.get(call.name)) + warm_lines
    dbtool(subject.env, "prepare", *(f"{k}={v}" for k, v in wanted.items()), f"--out={where}")
    return {c.name: where / c.scenario / f"{c.name}.tsv" for c in CALLS if c.scenario in wanted}


def ratios(call: Measure, before: Measure, after: Measure) -> dict[str, float]:
    """The call against the mean of the floor runs just before and just after it."""

    def mean(attr: str) -> float:
        return (float(getattr(before, attr)) + float(getattr(after, attr))) / 2

    floor_cpu = mean("app_cpu_ms") + mean("db_cpu_ms")
    return {
        "cost": mean("rps") / call.rps if call.rps else math.inf,
        "p50": call.p50_ms / mean("p50_ms"),
        "p99": call.p99_ms / mean("p99_ms"),
        "cpu": (call.app_cpu_ms + call.db_cpu_ms) / floor_cpu if floor_cpu else math.inf,
        "app_cpu": call.app_cpu_ms / mean("app_cpu_ms") if mean("app_cpu_ms") else math.inf,
    }


# --- profiles of the calls that miss their target ---------------------------------------


def profile_calls(subject: Subject, calls: list[tuple[Call, float]]) -> dict[str, Any]:
    """py-spy samples every worker while wrk drives each call; stacks summed per function."""
    where = subject.out / "profiles"
    where.mkdir(parents=True, exist_ok=True)
    profiles = {}
    wanted = [
        f"{call.scenario}={math.ceil(rps * 7 * 1.6 / call.repeats) + 2 * CONNECTIONS}"
        for call, rps in calls
        if call.scenario != "signed_in"
    ]
    if wanted:
        dbtool(subject.env, "prepare", *wanted, f"--out={where}")
    for call, _ in calls:
        log(f"profiling {call.name}")
        if call.scenario == "signed_in":
            pool = subject.shared / f"{call.name}.tsv"
        else:
            warm, pool = split_pool(where / call.scenario / f"{call.name}.tsv", 2 * CONNECTIONS)
            wrk(subject, warm, call.mode, call.repeats, 2, call)
        raw = where / f"{call.name}.py-spy.txt"
        spy = subprocess.Popen(  # noqa: S603
            [
                str(ROOT / ".venv" / "bin" / "py-spy"),
                "record",
                "--pid",
                str(subject.pid),
                "--subprocesses",
                "--duration",
                "7",
                "--rate",
                "200",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(raw),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        wrk(subject, pool, call.mode, call.repeats, 6, call)
        spy.wait(timeout=60)
        profiles[call.name] = summarize_profile(raw)
    return profiles


def summarize_profile(raw: Path) -> dict[str, Any]:
    if not raw.exists():
        return {"error": "py-spy wrote no profile"}
    inclusive: dict[str, int] = {}
    leaf: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
        if not any("handle_request" in f or "get_response" in f for f in frames):
            continue  # the worker waiting for a connection: not request time
        total += count
        seen = set()
        for frame in frames:
            key = _frame_key(frame)
            if key and key not in seen:
                seen.add(key)
                inclusive[key] = inclusive.get(key, 0) + count
        leaf_key = _library(frames[-1]) if frames else "?"
        leaf[leaf_key] = leaf.get(leaf_key, 0) + count
    ours = sorted(
        ((k, v) for k, v in inclusive.items() if k.startswith("carekey")),
        key=lambda kv: -kv[1],
    )
    return {
        "samples": total,
        "ours": [(k, round(100 * v / total, 1)) for k, v in ours[:14]] if total else [],
        "leaf": [
            (k, round(100 * v / total, 1)) for k, v in sorted(leaf.items(), key=lambda x: -x[1])
        ][:10]
        if total
        else [],
    }


def _frame_key(frame: str) -> str | None:
    """'function (carekey/mfa/services.py:123)' -> 'carekey.mfa.services.function'."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    if path.startswith("carekey/"):
        return path.removesuffix(".py").replace("/", ".") + "." + name
    return None


def _library(frame: str) -> str:
    """The package a leaf frame belongs to: where the time is really spent."""
    _, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    if path.startswith("carekey/"):
        return path.removesuffix(".py").replace("/", ".")
    if path.startswith("<") or "/" not in path:
        return "python: " + path
    return path.split("/", 1)[0]


# --- machine facts ----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    commit = run(["git", "rev-parse", "--short", "HEAD"]).strip()
    dirty = run(["git", "status", "--porcelain", "--untracked-files=no"]).strip()
    versions = run(
        [
            PYTHON,
            "-c",
            "from importlib.metadata import version as v; "
            "print(*(v(p) for p in ('django', 'gunicorn', 'django-ninja', 'psycopg')))",
        ]
    ).split()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes in the work tree)" if dirty else ""),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{mem_kib / 1024 / 1024:.0f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": versions[0],
        "gunicorn": versions[1],
        "django_ninja": versions[2],
        "psycopg": versions[3],
        "postgresql": psql("SHOW server_version").strip(),
        "wrk": run(["wrk", "-v"], check=False).splitlines()[0] if shutil.which("wrk") else "",
    }


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is missing (apt-get install -y wrk)")
    started = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    scale_patients = int(os.environ.get("BENCH_SCALE_PATIENTS", "1000000"))
    datasets = [Dataset("1k", "carekey_bench", 1000, 1500, 10_000)]
    if os.environ.get("BENCH_SKIP_SCALE") != "1":
        datasets.append(
            Dataset(
                "1M",
                "carekey_bench_scale",
                scale_patients,
                scale_patients * 3 // 2,
                scale_patients * 10,
            )
        )
    facts = machine()
    log(f"commit {facts['commit']}, {WORKERS} workers, {CONNECTIONS} connections")
    report: dict[str, Any] = {
        "machine": facts,
        "config": {
            "workers": WORKERS,
            "connections": CONNECTIONS,
            "rounds": ROUNDS,
            "seconds": SECONDS,
            "floor_seconds": FLOOR_SECONDS,
        },
        "calls": [vars(c) for c in [FLOOR, *CALLS]],
        "datasets": {},
    }
    subjects = [
        Subject(ds, app_env(ds.db), WORK / ds.name, PORT + number)
        for number, ds in enumerate(datasets)
    ]
    report["argon2"] = dbtool(subjects[0].env, "argon2")
    log("argon2 measured")
    for subject in subjects:
        ds = subject.ds
        reseed = ds.name == "1k" or os.environ.get("BENCH_RESEED") == "1"
        seed = ensure_database(ds, subject.env, reseed=reseed)
        report["datasets"][ds.name] = {"dataset": vars(ds), "seed": seed}
    with ExitStack() as stack:
        for subject in subjects:
            subject.out.mkdir(parents=True, exist_ok=True)
            subject.pid = stack.enter_context(server(subject.env, subject.out, subject.port))
        log("measuring: " + ", ".join(s.ds.name for s in subjects))
        for name, data in measure(subjects).items():
            report["datasets"][name].update(data)
        (WORK / "report.json").write_text(json.dumps(report, indent=1, default=str))
        small = subjects[0]
        missed = []
        for call in CALLS:
            results = report["datasets"][small.ds.name]
            cost = statistics.median(r["cost"] for r in results["ratios"][call.name])
            if call.target is not None and cost > call.target:
                missed.append(
                    (call, statistics.median(r["rps"] for r in results["runs"][call.name]))
                )
        report["profiles"] = profile_calls(small, missed) if missed else {}
    report["micro"] = dbtool(subjects[0].env, "micro")
    report["elapsed_s"] = time.monotonic() - started
    (WORK / "report.json").write_text(json.dumps(report, indent=1, default=str))
    from report import write_results  # bench/report.py

    write_results(report, BENCH / "RESULTS.md")
    log(f"done in {report['elapsed_s'] / 60:.1f} min: bench/RESULTS.md")


if __name__ == "__main__":
    main()
