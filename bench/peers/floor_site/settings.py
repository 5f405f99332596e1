"""The bare Django floor: Session, CSRF and Auth middleware and one view reading
request.user (issue 18). Every cost ratio in bench/RESULTS.md divides by its req/s."""

from __future__ import annotations

from peers.common.settings import *  # noqa: F403

ROOT_URLCONF = "peers.floor_site.urls"
