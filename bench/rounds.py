"""The measuring rounds: every call of every subject, interleaved, between bare-floor runs.

Each round makes fresh pools for every subject, then walks the calls round-robin across
the subjects (the first call of each, then the second of each, and so on; the subjects'
order turns every round) and runs the bare Django floor after every second call. A call's
cost ratio is the mean of the bare-floor runs just before and just after it divided by
the call's req/s, so drift on this shared machine hits CareKey and the peers alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calls import CONNECTIONS, FLOOR_PATH, FLOOR_SECONDS, QUICK, ROUNDS, SECONDS, Call, Subject
from commands import log, tool, tools_at_once
from wrk import Measure, wrk

CALLS_BETWEEN_FLOORS = 2


@dataclass
class Tally:
    """Per subject: its runs and ratios, and each call's last req/s; the last bare floor."""

    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: dict[str, dict[str, float]] = field(default_factory=dict)
    last_floor: Measure | None = None


def floor_of(subject: Subject) -> Call:
    return subject.calls[0]


def warm_up(subject: Subject) -> float:
    """Until the floor's rate settles (a fresh worker's first requests take seconds), then
    each shared GET call once; returns the floor's last req/s."""
    last = rps = 0.0
    for _ in range(2 if QUICK else 8):
        rps = wrk(subject, subject.shared / "floor.tsv", "cycle", 1, 2, floor_of(subject)).rps
        if last and rps > 0 and abs(rps - last) / max(rps, last) < 0.2:
            break
        last = rps
    for call in subject.calls[1:]:
        if call.scenario == "signed_in":
            wrk(subject, subject.shared / f"{call.name}.tsv", "cycle", 1, 2, call)
    return rps


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
    """The call against the mean of the bare-floor runs just before and just after it."""

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


def round_pools(subject: Subject, seen: dict[str, float], round_no: int) -> list[str]:
    """The pool tool's arguments for the round: every call that spends its pool."""
    wanted = {}
    for call in subject.calls:
        if call.scenario == "signed_in":
            continue
        warm_lines = 2 * CONNECTIONS if round_no == 1 else 0
        size = pool_size(call, seen["floor"], seen.get(call.name))
        wanted[call.scenario] = size + warm_lines
    if not wanted:
        return []
    where = subject.out / f"r{round_no}"
    return ["prepare", *(f"{k}={v}" for k, v in wanted.items()), f"--out={where}"]


def prepare_round(
    subjects: list[Subject], tally: Tally, round_no: int
) -> dict[str, dict[str, Path]]:
    """Fresh pools for every subject's spent calls, all subjects' tools at once."""
    jobs = [(s, round_pools(s, tally.seen[s.name], round_no)) for s in subjects]
    tools_at_once([(s, args) for s, args in jobs if args])
    pools = {}
    for subject, args in jobs:
        where = subject.out / f"r{round_no}"
        pools[subject.name] = {
            c.name: where / c.scenario / f"{c.name}.tsv"
            for c in subject.calls
            if args and c.scenario != "signed_in"
        }
    return pools


def interleaved(subjects: list[Subject], round_no: int) -> list[tuple[Subject, Call]]:
    """The round's order: call i of every subject before call i + 1 of any; the subject
    that goes first turns each round."""
    turn = (round_no - 1) % len(subjects)
    order = subjects[turn:] + subjects[:turn]
    depth = max(len(s.calls) for s in order)
    return [(s, s.calls[i]) for i in range(depth) for s in order if i < len(s.calls)]


def _bare_floor(bare: Subject, tally: Tally) -> Measure:
    measured = wrk(bare, bare.shared / "floor.tsv", "cycle", 1, FLOOR_SECONDS, floor_of(bare))
    tally.data[bare.name]["runs"]["floor"].append(vars(measured))
    return measured


def _start(subjects: list[Subject], bare: Subject, tally: Tally) -> None:
    """Clean CareKey's databases of earlier runs, make the shared pools, warm up."""
    for subject in [bare, *subjects]:
        subject.out.mkdir(parents=True, exist_ok=True)
        entry: dict[str, Any] = {
            "runs": {c.name: [] for c in subject.calls},
            "ratios": {c.name: [] for c in subject.calls},
        }
        if subject.is_carekey:
            tool(subject, "cleanup")
            entry["counts"] = tool(subject, "counts")
        tally.data[subject.name] = entry
    tools_at_once([(s, ["prepare", "signed_in=16", f"--out={s.out}"]) for s in [bare, *subjects]])
    for subject in [bare, *subjects]:
        tally.seen[subject.name] = {"floor": warm_up(subject)}
        log(f"{subject.name}: warmed up, floor {tally.seen[subject.name]['floor']:.0f} req/s")


def _run_call(subject: Subject, call: Call, pool: Path, round_no: int, tally: Tally) -> Measure:
    if round_no == 1 and call.scenario != "signed_in":
        warm, pool = split_pool(pool, 2 * CONNECTIONS)
        wrk(subject, warm, call.mode, call.repeats, 2, call)
    measured = wrk(subject, pool, call.mode, call.repeats, SECONDS, call)
    tally.seen[subject.name][call.name] = measured.rps
    tally.data[subject.name]["runs"][call.name].append(vars(measured))
    return measured


def _settle(pending: list[tuple[Subject, Call, Measure]], after: Measure, tally: Tally) -> None:
    """The ratios of the calls since the last bare floor, against it and the one after."""
    before = tally.last_floor
    assert before is not None
    for subject, call, measured in pending:
        pair = ratios(measured, before, after)
        tally.data[subject.name]["ratios"][call.name].append(pair)
        log(
            f"{subject.name} {call.name}: {measured.rps:.0f} req/s, {pair['cost']:.2f}x the "
            f"bare floor, app {measured.app_cpu_ms:.1f} ms/req, statuses {measured.statuses}"
        )
    tally.last_floor = after


def measure(subjects: list[Subject], bare: Subject) -> dict[str, dict[str, Any]]:
    """Every call of every subject, interleaved with the bare floor, ROUNDS times."""
    tally = Tally()
    _start(subjects, bare, tally)
    for round_no in range(1, ROUNDS + 1):
        pools = prepare_round(subjects, tally, round_no)
        tally.last_floor = _bare_floor(bare, tally)  # after the pools were made
        sequence = interleaved(subjects, round_no)
        log(f"round {round_no}: {len(sequence)} calls")
        pending: list[tuple[Subject, Call, Measure]] = []
        for index, (subject, call) in enumerate(sequence):
            pool = pools[subject.name].get(call.name, subject.shared / f"{call.name}.tsv")
            pending.append((subject, call, _run_call(subject, call, pool, round_no, tally)))
            if len(pending) == CALLS_BETWEEN_FLOORS or index == len(sequence) - 1:
                _settle(pending, _bare_floor(bare, tally), tally)
                pending = []
    for subject in subjects:
        if subject.is_carekey:
            tally.data[subject.name]["queries"] = tool(
                subject, "queries", f"--floor-path={FLOOR_PATH}"
            )
    return tally.data
