"""CareKey's URL configuration plus the benchmark floor (bench_settings.ROOT_URLCONF).

The floor is a bare endpoint behind the full middleware stack. It sits under /api/v1/ so
the access gate treats it like any API call (signed-in session, aal2, app lock); it then
only reads the session and answers 200. Every benchmark figure is a ratio to this floor,
measured in the same run on the same server, so what remains is the cost of CareKey's
own view code.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from carekey import urls as carekey_urls
from carekey.accounts import sessions

FLOOR_PATH = "api/v1/bench/floor"

handler400 = carekey_urls.handler400
handler404 = carekey_urls.handler404
handler500 = carekey_urls.handler500


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    """Read the session, as every CareKey view does, and answer 200 with its level."""
    return HttpResponse(sessions.aal(request.session), content_type="text/plain")


urlpatterns = [
    *carekey_urls.urlpatterns,
    path(FLOOR_PATH, floor, name="bench-floor"),
]
