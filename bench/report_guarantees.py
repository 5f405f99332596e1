"""What a profiled call spends on the guarantees it keeps (bench/profiles.py GUARANTEES).

Issue 18 asks each missed target to show the profile of what is left and why it is a
guarantee we keep: this is that table, from the same py-spy samples as the profile.
"""

from __future__ import annotations

from typing import Any

from report_stats import call_stats, fmt, med

WHAT_IT_KEEPS = {
    "throttle": "the check reserved in the shared database before the code is looked at "
    "(no process or burst gets extra guesses); the failure counted",
    "single_use": "the code's time step claimed by one conditional UPDATE "
    "(a replayed or raced code is refused)",
    "audit": "the outcome's audit row (failures too)",
    "session_write": "the session row written: the new id after a second step (no "
    "fixation), or the activity stamp the idle timeout reads",
    "sign_out_others": "every other session of the patient signed out",
    "email": "the email to the patient",
    "recovery_codes": "ten recovery codes made and hashed",
    "first_factor_lock": "the patient row locked while 'first factor?' is decided "
    "(two tabs cannot both issue codes)",
}


def guarantee_lines(report: dict[str, Any], name: str, profile: dict[str, Any]) -> list[str]:
    """The table of guarantee shares, and the call's cost with them taken out (estimated)."""
    shares = profile.get("guarantees") or {}
    if not shares:
        return []
    lines = [
        "Sampled request time spent on guarantees (each sample counted once, for the "
        "innermost guarantee on its stack). py-spy samples running code, not a worker "
        "blocked on PostgreSQL, so a guarantee that is mostly round trips shows only its "
        "own CPU here: the shares are lower bounds.",
        "",
        "| guarantee | what it keeps | % of sampled request time |",
        "|---|---|---|",
    ]
    for key, share in sorted(shares.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {key} | {WHAT_IT_KEEPS.get(key, '')} | {fmt(share, 1)} |")
    total = sum(shares.values())
    lines.append(f"| **all of them** | | **{fmt(total, 1)}** |")
    lines.append("")
    costs = call_stats(report["datasets"]["1k"], name)["cost"]
    if costs:
        cost = med(costs)
        without = cost * (1 - total / 100)
        lines += [
            f"The call costs {fmt(cost)}x the bare floor; the same call without that "
            f"{fmt(total, 1)}% would cost about {fmt(without)}x at most (an estimate: the "
            "call is bound by the machine's two cores, so its cost follows its CPU time; "
            "the guarantees' database time is not in the share).",
            "",
        ]
    return lines
