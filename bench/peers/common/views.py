"""The floor every peer serves: one view that reads request.user, as issue 18 defines it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    """Load the session and its user (and whatever middleware hangs on request.user):
    200 with the user's id when signed in, 403 otherwise, so a broken pool shows up."""
    if not request.user.is_authenticated:
        return HttpResponse("signed out", status=403, content_type="text/plain")
    return HttpResponse(str(request.user.pk), content_type="text/plain")
