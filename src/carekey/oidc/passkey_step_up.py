"""Step-up to a passkey (CONTRACT §8): an app asked for acr_values=phr and this session
has used no passkey (a password and a code, say). "Use a passkey" proves one of the
patient's passkeys, so the session's methods gain "hwk" (or "swk") and "user" and its acr
is phr, and sends the patient back to the app's request. A patient without a passkey is
offered to add one on /portal/security and comes back to the request afterwards; Cancel
answers unmet_authentication_requirements, as for aal2 (step_up.py).

The page is under /o/, outside the portal's gate, so it checks the session itself: a
patient signed out, owing the second step or locked goes back to the request, whose
authorization view sends them to sign in, verify or unlock first, and then here again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carekey import clock
from carekey.accounts import session_state, sessions
from carekey.accounts.models import User
from carekey.applock import services as applock
from carekey.errors import CareKeyError
from carekey.mfa import passkey_browser, services
from carekey.navigation import SECURITY, redirect_with_next, url
from carekey.oidc import claims, step_up

PAGE = "oauth2_provider:passkey-step-up"
ADD_PASSKEY = "passkey-add"  # the portal's "Add a passkey" step
LEVEL = "phr"


def start(request: HttpRequest) -> HttpResponse:
    """From the authorization endpoint: to this page, carrying the request to resume."""
    return redirect_with_next(PAGE, request)


def _ready(request: HttpRequest) -> User | None:
    """The patient, when the session is fully signed in and unlocked; else None."""
    user = request.user
    if not isinstance(user, User) or sessions.awaits_second_factor(request.session):
        return None
    return None if applock.is_locked(request) else user


def _stepped_up(request: HttpRequest) -> bool:
    assurance = claims.of_session(request.session, clock.timestamp())
    return claims.meets(assurance.acr, [LEVEL])


def _passkey_posted(request: HttpRequest) -> bool:
    return bool(request.POST.get("passkey") or request.POST.get("passkey_error"))


def _use_posted_passkey(request: HttpRequest, user: User) -> None:
    """What passkeys.js posted: the browser's failure (its sentence), or the credential."""
    outcome = request.POST.get("passkey_error", "")
    if outcome:
        passkey_browser.refuse(request, user, outcome[:40])
    services.reauthenticate_with_passkey(request, user, request.POST.get("passkey", ""))


def _page_status(exc: CareKeyError) -> int:
    return exc.status if exc.status in (403, 429) else 400


@require_http_methods(["GET", "POST"])
def use_passkey(request: HttpRequest) -> HttpResponse:
    resume = step_up.resume_of(request)
    if resume is None:
        return HttpResponseRedirect(url(SECURITY))
    user = _ready(request)
    if user is None or _stepped_up(request):  # not yet signed in, or already done
        return HttpResponseRedirect(resume)
    errors = forms.Form()
    errors.cleaned_data = {}  # unbound: add_error expects it
    status, retry_after = 200, None
    if request.method == "POST" and "add" in request.POST:
        session_state.set_return_to(request.session, resume)  # back here once it is added
        return HttpResponseRedirect(url(ADD_PASSKEY))
    if request.method == "POST" and _passkey_posted(request):
        try:
            _use_posted_passkey(request, user)
        except CareKeyError as exc:
            errors.add_error(None, exc.message)
            status, retry_after = _page_status(exc), exc.retry_after
        else:
            request.session.cycle_key()  # a higher level: a new session id (OWASP)
            return HttpResponseRedirect(resume)
    elif request.method == "POST":
        errors.add_error(None, _("Using a passkey needs JavaScript. Turn it on and try again."))
        status = 400
    context = {
        "app_name": step_up.app_name(resume),
        "next": resume,
        "action": f"{url(PAGE)}?{urlencode({'next': resume})}",
        "cancel": step_up.cancel_url(resume),
        "has_passkey": services.has_passkey(user),
        "form": errors,
    }
    response = render(request, "oidc/passkey_step_up.html", context, status=status)
    if status == 429 and retry_after:
        response["Retry-After"] = str(retry_after)
    return response
