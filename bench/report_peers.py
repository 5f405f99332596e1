"""The sections of bench/RESULTS.md that set CareKey beside the bare floor and the peers."""

from __future__ import annotations

from typing import Any

from report_stats import call_stats, fmt, med, spread, verdict


def _peer_calls(report: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per peer, its calls by the row they answer for (floor, list, verify_wrong, ...)."""
    return {
        peer["name"]: {call["row"]: call for call in peer["calls"] if call["row"]}
        for peer in report["peers"]
    }


def _cost(data: dict[str, Any], name: str, basis: str = "bare") -> str:
    costs = call_stats(data, name, basis)["cost"]
    return f"{fmt(med(costs))}x{spread(costs)}" if costs else "n/a"


def peers_section(report: dict[str, Any]) -> list[str]:
    small = report["datasets"]["1k"]
    bare = report["peer_data"]["floor"]
    floor_rps = call_stats(bare, "floor")["rps"]
    peers = [p for p in report["peers"] if p["name"] != "floor"]
    by_row = _peer_calls(report)
    titles = " | ".join(p["title"] for p in peers)
    lines = [
        "## CareKey beside the peers",
        "",
        "Cost ratio = the bare Django floor's req/s ÷ the call's req/s: each call against "
        "the mean of the bare-floor runs just before and just after it, median of the "
        f"rounds (range in brackets). The bare floor (Django with Session, CSRF and Auth "
        f"middleware and one view reading `request.user`) served {fmt(floor_rps, 0)} req/s. "
        "CareKey at 1 000 patients; a peer's figure sits on the row of the CareKey call it "
        "does the same job as (its calls are listed below). *Target* is issue 18's, to the "
        "bare floor. The last column divides by CareKey's own floor instead (its "
        "middleware and access gate included), as the ratios of earlier runs did.",
        "",
        f"| call | target | CareKey (x bare floor) | | {titles} | CareKey x its own floor |",
        "|---|---|---|---|" + "---|" * len(peers) + "---|",
    ]
    for call in report["calls"]:
        name, target = call["name"], call["target"]
        cost = med(call_stats(small, name)["cost"])
        cells = []
        for peer in peers:
            twin = by_row[peer["name"]].get(call["row"]) if call["row"] else None
            data = report["peer_data"][peer["name"]]
            cells.append(_cost(data, twin["name"]) if twin else "—")
        own = "1" if name == "floor" else _cost(small, name, "own")
        lines.append(
            f"| {call['label']} | {f'≤ {target}x' if target else '—'} | "
            f"{_cost(small, name)} | {verdict(cost <= target) if target else ''} | "
            f"{' | '.join(cells)} | {own} |"
        )
    lines += ["", "The peers' calls:", ""]
    for peer in peers:
        listed = "; ".join(f"{c['row']}: `{c['label']}`" for c in peer["calls"])
        lines.append(f"- {peer['title']}: {listed}.")
    lines.append("")
    return lines


def peer_figures_section(report: dict[str, Any]) -> list[str]:
    lines = [
        "## Figures of the bare floor and the peers",
        "",
        "| server | call | req/s | p50 ms | p99 ms | app CPU ms | db CPU ms | "
        "cost x bare floor | answers |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for peer in report["peers"]:
        data = report["peer_data"][peer["name"]]
        for call in peer["calls"]:
            s = call_stats(data, call["name"])
            answers = ", ".join(f"{n}x {code}" for code, n in sorted(s["statuses"].items()))
            cost = "1" if peer["name"] == "floor" else f"{fmt(med(s['cost']))}"
            lines.append(
                f"| {peer['title']} | `{call['label']}` | {fmt(s['rps'], 0)} | "
                f"{fmt(s['p50'], 1)} | {fmt(s['p99'], 1)} | {fmt(s['app'], 1)} | "
                f"{fmt(s['db'], 1)} | {cost} | {answers} |"
            )
    lines.append("")
    return lines


PEERS_METHOD = """- **The peers** (bench/peers/, served from their own virtualenv,
  `.cache/peers-venv`, made by the harness from the pinned bench/peers/requirements.txt; CareKey's
  dependencies never include them): each a small Django project on its own PostgreSQL
  database, gunicorn with the same workers, timeout and access log as `carekey serve`,
  persistent connections (`CONN_MAX_AGE=60`, as CareKey) without CareKey's per-request
  health check, 1 000 seeded users like CareKey's 1 000 patients.
  - *Bare floor*: Session, CSRF and Auth middleware; `GET /floor` reads `request.user`.
  - *django-otp*: `OTPMiddleware` added, TOTP and static devices. The list is
    `devices_for_user`; a code goes through `OTPTokenForm` (the device loaded `FOR UPDATE`
    in a transaction, its throttle, its last accepted step) and then `login()`, as
    `django_otp.views.LoginView` does, answered as JSON. A session that gave its password
    and has a TOTP device, one code each: the library throttles a device for 1, 2, 4 ... s
    after a failure, so a reused device would measure the throttle.
  - *allauth.mfa*: through allauth's headless JSON API (browser client). The list is its
    authenticators endpoint; a code goes to `2fa/authenticate` in a login stopped at the
    MFA stage (made in-process by allauth's own password-login flow), which rate-limits
    per account, checks the TOTP and then the recovery codes, marks the code used and
    completes the login. Its replay check and rate limits live in Django's cache, here the
    default per-process LocMemCache (allauth's cheapest set-up); the per-address limit on
    failed logins is lifted because all load comes from 127.0.0.1, the per-account one
    stays.
  - The peers do less per call than CareKey (no audit row, no session list, no signing out
    of other sessions, no e-mail): the ratios show what CareKey's guarantees cost.
- **Interleaving**: every round makes fresh pools for every server, then measures the
  calls round-robin across CareKey at 1k, CareKey at 1M, django-otp and allauth.mfa (the
  first call of each, then the second, and so on; the server that goes first turns each
  round), the bare floor after every second call.
"""
