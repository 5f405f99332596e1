"""The measuring rounds: every call between two floor runs, on every database in turn."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calls import (
    CALLS,
    CONNECTIONS,
    FLOOR,
    FLOOR_PATH,
    FLOOR_SECONDS,
    ROUNDS,
    SECONDS,
    Call,
    Subject,
)
from commands import dbtool, log
from wrk import Measure, wrk


@dataclass
class Tally:
    """Per database: its runs and ratios, its last floor run and each call's last req/s."""

    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    floor_before: dict[str, Measure] = field(default_factory=dict)
    seen: dict[str, dict[str, float]] = field(default_factory=dict)


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


def _start(subjects: list[Subject], tally: Tally) -> None:
    """Clean each database of earlier runs, count it, make the shared pools, warm up."""
    for subject in subjects:
        name = subject.ds.name
        subject.out.mkdir(parents=True, exist_ok=True)
        dbtool(subject.env, "cleanup")
        tally.data[name] = {
            "counts": dbtool(subject.env, "counts"),
            "runs": {c.name: [] for c in [FLOOR, *CALLS]},
            "ratios": {c.name: [] for c in CALLS},
        }
        dbtool(subject.env, "prepare", "signed_in=16", f"--out={subject.out}")
        tally.seen[name] = {}
    for subject in subjects:
        name = subject.ds.name
        warm_up(subject)
        floor = wrk(subject, subject.shared / "floor.tsv", "cycle", 1, FLOOR_SECONDS, FLOOR)
        tally.floor_before[name] = floor
        tally.data[name]["runs"]["floor"].append(vars(floor))


def _measure_call(subject: Subject, call: Call, pool: Path, round_no: int, tally: Tally) -> None:
    """One call, then the floor again; the ratio is against the floors either side."""
    name = subject.ds.name
    if round_no == 1 and call.scenario != "signed_in":
        warm, pool = split_pool(pool, 2 * CONNECTIONS)
        wrk(subject, warm, call.mode, call.repeats, 2, call)
    measured = wrk(subject, pool, call.mode, call.repeats, SECONDS, call)
    tally.seen[name][call.name] = measured.rps
    floor_after = wrk(subject, subject.shared / "floor.tsv", "cycle", 1, FLOOR_SECONDS, FLOOR)
    runs, pairs = tally.data[name]["runs"], tally.data[name]["ratios"]
    runs[call.name].append(vars(measured))
    runs["floor"].append(vars(floor_after))
    pairs[call.name].append(ratios(measured, tally.floor_before[name], floor_after))
    log(
        f"{name} r{round_no} {call.name}: {measured.rps:.0f} req/s, "
        f"{pairs[call.name][-1]['cost']:.2f}x floor, "
        f"app {measured.app_cpu_ms:.1f} ms/req, statuses {measured.statuses}"
    )
    tally.floor_before[name] = floor_after


def measure(subjects: list[Subject]) -> dict[str, dict[str, Any]]:
    """Every call on every database, interleaved: call, floor, next database, and so on.

    Both servers run side by side, so a call at 1 000 000 patients is measured seconds
    from the same call at 1 000, under the same background load.
    """
    tally = Tally()
    _start(subjects, tally)
    for round_no in range(1, ROUNDS + 1):
        pools = {
            s.ds.name: prepare_round(
                s, tally.floor_before[s.ds.name].rps, tally.seen[s.ds.name], round_no
            )
            for s in subjects
        }
        # Odd rounds start with the first database, even rounds with the other.
        order = subjects if round_no % 2 else subjects[::-1]
        for call in CALLS:
            for subject in order:
                shared = subject.shared / f"{call.name}.tsv"
                pool = pools[subject.ds.name].get(call.name, shared)
                _measure_call(subject, call, pool, round_no, tally)
    for subject in subjects:
        tally.data[subject.ds.name]["queries"] = dbtool(
            subject.env, "queries", f"--floor-path={FLOOR_PATH}"
        )
    return tally.data
