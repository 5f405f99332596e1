"""Profiles of the calls that miss their target: py-spy over every worker while wrk runs."""

from __future__ import annotations

import math
import subprocess
import time
from pathlib import Path
from typing import Any

from calls import CONNECTIONS, ROOT, Call, Subject
from commands import dbtool, log
from rounds import split_pool
from wrk import wrk


def _py_spy(pid: int, raw: Path) -> subprocess.Popen[bytes]:
    """py-spy recording the server and its workers for 7 s, raw stacks into `raw`."""
    return subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv" / "bin" / "py-spy"),
            "record",
            "--pid",
            str(pid),
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
        spy = _py_spy(subject.pid, raw)
        time.sleep(0.5)
        wrk(subject, pool, call.mode, call.repeats, 6, call)
        spy.wait(timeout=60)
        profiles[call.name] = summarize_profile(raw)
    return profiles


# The work a call does for a security guarantee the peers do not all give, by the CareKey
# functions that do it. A sample counts for the innermost of these on its stack, so a
# sample is counted once (the ten recovery codes inside the patient-row lock count as
# codes, the rest of the lock's time as the lock).
GUARANTEES: dict[str, tuple[str, ...]] = {
    "throttle": (
        "carekey.accounts.throttle.reserve",
        "carekey.accounts.throttle.refund",
        "carekey.accounts.throttle.Attempt.succeeded",
        "carekey.mfa.checks.record_failure",
    ),
    "single_use": ("carekey.mfa.checks._claim_step",),
    "audit": ("carekey.audit.record.record_all",),
    "session_write": (
        "carekey.accounts.session_store.SessionStore.save",
        "carekey.accounts.session_store.SessionStore.delete",
    ),
    "sign_out_others": ("carekey.accounts.sessions.revoke_others",),
    "email": ("carekey.notify.send",),
    "recovery_codes": (
        "carekey.mfa.recovery_codes.new_recovery_codes",
        "carekey.mfa.recovery_codes.store_recovery_codes",
    ),
    "first_factor_lock": ("carekey.mfa.factors.mark_verified",),
}
# Work every peer does too, inside a guarantee's function: a sample there is no guarantee's
# (marking the factor verified is the lock's statement, not the lock).
NOT_GUARANTEES = ("carekey.mfa.factors._verify_counting_others",)
_GUARANTEE_OF: dict[str, str | None] = {
    function: name for name, functions in GUARANTEES.items() for function in functions
}
_GUARANTEE_OF.update(dict.fromkeys(NOT_GUARANTEES))


def _innermost_guarantee(keys: list[str | None]) -> str | None:
    for key in reversed(keys):
        if key is not None and key in _GUARANTEE_OF:
            return _GUARANTEE_OF[key]  # None: the innermost is work every peer does
    return None


def summarize_profile(raw: Path) -> dict[str, Any]:
    if not raw.exists():
        return {"error": "py-spy wrote no profile"}
    inclusive: dict[str, int] = {}
    leaf: dict[str, int] = {}
    guarantees: dict[str, int] = {}
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
        keys = [_frame_key(frame) for frame in frames]
        guarantee = _innermost_guarantee(keys)
        if guarantee is not None:
            guarantees[guarantee] = guarantees.get(guarantee, 0) + count
        for key in keys:
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
        "guarantees": {k: round(100 * v / total, 1) for k, v in guarantees.items()}
        if total
        else {},
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
