"""Figures from bench/run.py's report (var/bench/report.json): medians, ratios, cells."""

from __future__ import annotations

import statistics
from typing import Any

SCALE_LIMIT = 1.2


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt(value: float, digits: int = 2) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:.{digits}f}"


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    return f" ({fmt(min(values))}-{fmt(max(values))})"


def own_ratios(data: dict[str, Any], name: str) -> list[dict[str, float]]:
    """Each round's ratios to CareKey's own floor: the call's ratio to the bare floor over
    its own floor's ratio to the bare floor in the same round (both were measured between
    bare-floor runs, so drift cancels)."""
    floors = data["ratios"].get("floor", [])
    calls = data["ratios"].get(name, [])
    return [{k: r[k] / f[k] for k in r} for r, f in zip(calls, floors, strict=False)]


def call_stats(data: dict[str, Any], name: str, basis: str = "bare") -> dict[str, Any]:
    """Medians of a call's runs and its ratio lists, to the bare floor or ("own") to
    CareKey's own floor."""
    runs = data["runs"][name]
    ratios = own_ratios(data, name) if basis == "own" else data["ratios"].get(name, [])
    statuses: dict[str, int] = {}
    for run in runs:
        for code, n in run["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    return {
        "rps": med([r["rps"] for r in runs]),
        "p50": med([r["p50_ms"] for r in runs]),
        "p99": med([r["p99_ms"] for r in runs]),
        "app": med([r["app_cpu_ms"] for r in runs]),
        "db": med([r["db_cpu_ms"] for r in runs]),
        "other": med([r["other_cores"] for r in runs]),
        "requests": sum(r["requests"] for r in runs),
        "statuses": statuses,
        "cost": [r["cost"] for r in ratios],
        "p50_ratio": [r["p50"] for r in ratios],
        "p99_ratio": [r["p99"] for r in ratios],
        "cpu_ratio": [r["cpu"] for r in ratios],
    }


def scale_ratios(small: dict[str, Any], scale: dict[str, Any], name: str) -> dict[str, float]:
    """1M against 1k per round (the two runs were seconds apart), median over rounds."""
    cost = [
        b["cost"] / a["cost"]
        for a, b in zip(small["ratios"][name], scale["ratios"][name], strict=False)
    ]
    runs = zip(small["runs"][name], scale["runs"][name], strict=False)
    pairs = [(a, b) for a, b in runs if a["rps"] and b["rps"]]
    return {
        "cost": med(cost),
        "cost_min": min(cost) if cost else float("nan"),
        "cost_max": max(cost) if cost else float("nan"),
        "raw": med([a["rps"] / b["rps"] for a, b in pairs]),
        "app": med([b["app_cpu_ms"] for _, b in pairs]) / med([a["app_cpu_ms"] for a, _ in pairs]),
    }


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"
