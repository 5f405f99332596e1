"""The benchmark floor: a bare endpoint behind the full middleware stack (bench/, issue #9).

It sits under /api/v1/ so the access gate treats it like any API call (signed-in session,
aal2, app lock); it then only reads the session and answers 200. Every benchmark figure is
a ratio to this floor, measured in the same run on the same server, so what remains is
the cost of CareKey's own view code. It is routed only when settings.BENCH_FLOOR is on
(`CAREKEY_BENCH_FLOOR=1`), never in a normal deployment.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from carekey.accounts import sessions

PATH = "api/v1/bench/floor"


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    """Read the session, as every CareKey view does, and answer 200 with its level."""
    return HttpResponse(sessions.aal(request.session), content_type="text/plain")


def urlpatterns() -> list[URLPattern]:
    """The floor's route when settings.BENCH_FLOOR is on, else nothing."""
    if not getattr(settings, "BENCH_FLOOR", False):
        return []
    return [path(PATH, floor, name="bench-floor")]
