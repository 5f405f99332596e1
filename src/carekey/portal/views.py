"""Thin page views: translate forms to service calls and results to pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carekey.accounts import sessions, throttle
from carekey.accounts.models import User
from carekey.errors import CareKeyError
from carekey.mfa import services as mfa_services
from carekey.mfa import signin as services
from carekey.navigation import SIGNIN, VERIFY, redirect_to, safe_next, url
from carekey.portal import passkey_forms
from carekey.portal.feedback import continue_to, show_for_form, show_on_form
from carekey.portal.forms import SignInForm, second_factor_form
from carekey.portal.security_page import render_security


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    next_path = safe_next(request.POST.get("next") or request.GET.get("next"))
    if passkey_forms.posted(request):
        return _signin_with_passkey(request, next_path)
    form = SignInForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_in(request, form.cleaned_data["email"], form.cleaned_data["password"])
        except services.InvalidCredentials:
            status = 400
        except throttle.Throttled as exc:
            status = 429
            retry_after = exc.retry_after
        else:
            if sessions.awaits_second_factor(request.session):
                return redirect_to(VERIFY, next_path)
            return continue_to(request, next_path)
        form.add_error(None, services.GENERIC_FAILURE)
    elif request.method == "POST":
        status = 400
    response = render(
        request, "portal/signin.html", {"form": form, "next": next_path}, status=status
    )
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response


def _signin_with_passkey(request: HttpRequest, next_path: str) -> HttpResponse:
    """ "Sign in with a passkey": aal2 at once; a refusal is shown on the sign-in page."""
    form = SignInForm()
    try:
        services.sign_in_with_passkey(request, passkey_forms.credential(request, None))
    except CareKeyError as exc:
        status = show_for_form(form, exc)
        context = {"form": form, "next": next_path}
        return render(request, "portal/signin.html", context, status=status)
    return continue_to(request, next_path)


@require_http_methods(["GET", "POST"])
def signin_verify(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in: a code, or a recovery code, raises the session to aal2."""
    next_path = safe_next(request.POST.get("next") or request.GET.get("next"))
    if not request.user.is_authenticated:
        return HttpResponseRedirect(url(SIGNIN))
    if not sessions.awaits_second_factor(request.session):
        return continue_to(request, next_path)
    user = request.user
    assert isinstance(user, User)
    kinds = {factor.factor_type for factor in mfa_services.verified_factors(user)}
    use_recovery = request.GET.get("method") == "recovery" or "recovery_code" in request.POST
    use_recovery = use_recovery or "totp" not in kinds  # a passkey only: no 6-digit code
    bound = request.method == "POST" and not passkey_forms.posted(request)
    form = second_factor_form(request.POST if bound else None, use_recovery)
    status = 200
    if passkey_forms.posted(request):
        try:
            mfa_services.complete_sign_in_with_passkey(
                request, user, passkey_forms.credential(request, user)
            )
        except CareKeyError as exc:
            status = show_for_form(form, exc)
        else:
            return continue_to(request, next_path)
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                left = mfa_services.complete_sign_in(
                    request,
                    user,
                    code=form.cleaned_data.get("code"),
                    recovery_code=form.cleaned_data.get("recovery_code"),
                )
            except CareKeyError as exc:
                status = show_on_form(form, exc)
            else:
                if left is not None:
                    _recovery_code_notice(request, left)
                return continue_to(request, next_path)
    context = {
        "form": form,
        "next": next_path,
        "use_recovery": use_recovery,
        "has_app": "totp" in kinds,
        "has_passkey": "webauthn" in kinds,
    }
    return render(request, "portal/signin_verify.html", context, status=status)


def _recovery_code_notice(request: HttpRequest, left: int) -> None:
    text = _("You used a recovery code. You have %(n)s left.") % {"n": left}
    if left < 3:
        text += " " + _("Generate new recovery codes on the Security page so you don't run out.")
        messages.warning(request, text)
    else:
        messages.info(request, text)


@require_http_methods(["GET", "POST"])
def signout(request: HttpRequest) -> HttpResponse:
    """POST signs out; GET (the lock screen's "Sign out" link) asks first."""
    if request.method == "GET":
        if not request.user.is_authenticated:
            return HttpResponseRedirect(url(SIGNIN))
        return render(request, "portal/signout.html", {})
    services.sign_out(request)
    return HttpResponseRedirect(url(SIGNIN))


@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    """Home urges two-step verification only while it is off."""
    user = request.user
    mfa_on = isinstance(user, User) and mfa_services.has_verified_factor(user)
    return render(request, "portal/home.html", {"nav": "home", "mfa_on": mfa_on})


@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    return render_security(request)
