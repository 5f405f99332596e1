"""The floor's users and pool: signed-in sessions reading GET /floor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peers.common.people import make_users, signed_in, store_sessions, write_pools

FLOOR_URL = "/floor"


def seed(count: int) -> dict[str, Any]:
    make_users("seed", count)
    return {"users": count}


def prepare_signed_in(out: Path, count: int) -> dict[str, Any]:
    keys = store_sessions(signed_in(user) for user in make_users("floor", count))
    write_pools(out, {"floor": FLOOR_URL}, keys)
    return {"users": count, "pools": ["floor"]}


MAKERS = {"signed_in": prepare_signed_in}
