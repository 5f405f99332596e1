"""Step-up for a patient without a second factor: an app asked for aal2 (acr_values), so
the patient is offered to set one up on /portal/security and is then sent back to the
app's request; or cancels, and the app hears unmet_authentication_requirements.

The pieces every step-up page shares (the request to resume, the app's name, Cancel)
are here too; the passkey step-up (acr_values=phr) is in passkey_step_up.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from oauth2_provider.models import Application

from carekey.accounts import session_state
from carekey.navigation import SECURITY, redirect_with_next, safe_next, url

CANCELLED = "carekey_step_up"  # added to the request when the patient cancels


def start(request: HttpRequest) -> HttpResponse:
    """From the authorization endpoint: to the offer, carrying the request to resume."""
    return redirect_with_next("oauth2_provider:step-up", request)


def resume_of(request: HttpRequest) -> str | None:
    """The authorization request this page continues (`next`), or None if it is not one."""
    resume = safe_next(request.POST.get("next") or request.GET.get("next"))
    return resume if resume.startswith(url("oauth2_provider:authorize")) else None


def app_name(resume: str) -> str:
    client_id = parse_qs(urlsplit(resume).query).get("client_id", [""])[0]
    client = Application.objects.filter(client_id=client_id).first()
    return str(client.name) if client else ""


def cancel_url(resume: str) -> str:
    """The request again, marked cancelled: the app hears unmet_authentication_requirements."""
    separator = "&" if "?" in resume else "?"
    return f"{resume}{separator}{CANCELLED}=cancelled"


@login_required
@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest) -> HttpResponse:
    resume = resume_of(request)
    if resume is None:
        return HttpResponseRedirect(url(SECURITY))
    if request.method == "POST":
        session_state.set_return_to(request.session, resume)
        return HttpResponseRedirect(url(SECURITY, fragment="two-step-heading"))
    context = {"app_name": app_name(resume), "next": resume, "cancel": cancel_url(resume)}
    return render(request, "oidc/step_up.html", context)
