"""App lock and session control pages: preferences, lock, unlock, devices."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from carekey import refusal_log
from carekey.accounts import app_tokens, sessions
from carekey.accounts.sessions import signed_in_patient
from carekey.applock import services as applock
from carekey.client import describe_device
from carekey.errors import CareKeyError
from carekey.mfa.services import has_passkey
from carekey.navigation import LOCKED, SECURITY, SIGNIN, redirect_to, safe_next, url
from carekey.portal import passkey_forms
from carekey.portal.feedback import continue_to, show_for_form, show_on_form
from carekey.portal.forms import UnlockForm
from carekey.portal.security_page import app_lock_form, render_security


@require_POST
def save_app_lock(request: HttpRequest) -> HttpResponse:
    user = signed_in_patient(request)
    form = app_lock_form(user, request.POST)
    if form.is_valid():
        try:
            applock.update(
                request,
                user,
                form.cleaned_data.get("enabled", True),
                form.cleaned_data["timeout_minutes"],
                form.cleaned_data["unlock_method"],
            )
        except applock.InvalidPreference as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("App lock settings saved."))
            return HttpResponseRedirect(url(SECURITY, fragment="app-lock-heading"))
    return render_security(request, lock_form=form, status=400)


@require_POST
def sign_out_other_devices(request: HttpRequest) -> HttpResponse:
    ended = sessions.sign_out_other_devices(request, signed_in_patient(request))
    text = ngettext("Signed out %(n)s other device.", "Signed out %(n)s other devices.", ended)
    messages.success(request, text % {"n": ended})
    return HttpResponseRedirect(url(SECURITY, fragment="devices-heading"))


@require_POST
def sign_out_device(request: HttpRequest, device_id: str) -> HttpResponse:
    """One device's "Sign out"; an unknown id (already ended) only says so, as a message."""
    try:
        agent = sessions.sign_out_device(request, signed_in_patient(request), device_id)
    except sessions.DeviceNotFound:
        messages.info(request, _("That device was already signed out."))
    except sessions.ThisDevice as exc:
        messages.error(request, exc.message)
    else:
        text = _("Signed out %(device)s.") % {"device": describe_device(agent)}
        messages.success(request, text)
    return HttpResponseRedirect(url(SECURITY, fragment="devices-heading"))


@require_POST
def disconnect_app(request: HttpRequest, client_id: str) -> HttpResponse:
    """ "Disconnect": the app's tokens are revoked; an app already gone only says so."""
    try:
        name = app_tokens.disconnect(request, signed_in_patient(request), client_id)
    except app_tokens.AppNotConnected as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, _("Disconnected %(app)s.") % {"app": name})
    return HttpResponseRedirect(url(SECURITY, fragment="apps-heading"))


@require_POST
def lock_now(request: HttpRequest) -> HttpResponse:
    applock.lock(request, "lock_now")
    return redirect_to(LOCKED, request.POST.get("next") or "")


@require_http_methods(["GET", "POST"])
def locked(request: HttpRequest) -> HttpResponse:
    """The lock screen: nothing about the patient but a first name."""
    next_path = safe_next(request.POST.get("next") or request.GET.get("next"))
    if not applock.is_locked(request):
        return continue_to(request, next_path)
    user = signed_in_patient(request)
    method = applock.preferences(user).unlock_method
    by_passkey = passkey_forms.posted(request)
    data = request.POST if request.method == "POST" and not by_passkey else None
    form = UnlockForm(data, method=method)
    status = 200
    if request.method == "POST":
        status = 400
        if by_passkey or form.is_valid():
            try:
                if by_passkey:
                    credential = passkey_forms.credential(request, user)
                    applock.unlock_with_passkey(request, user, credential)
                else:
                    applock.unlock(
                        request,
                        user,
                        code=form.cleaned_data.get("code"),
                        password=form.cleaned_data.get("password"),
                    )
            except applock.SignedOutAfterFailures as exc:
                messages.error(request, exc.message)
                return HttpResponseRedirect(url(SIGNIN))
            except CareKeyError as exc:
                if method == "password" and not by_passkey and refusal_log.noted(request) is None:
                    refusal_log.note(request, refusal_log.WRONG_PASSWORD)  # throttled is noted
                status = show_for_form(form, exc) if by_passkey else show_on_form(form, exc)
            else:
                return continue_to(request, next_path)
    context = {
        "form": form,
        "next": next_path,
        "first_name": user.first_name,
        "has_passkey": has_passkey(user),
    }
    return render(request, "portal/locked.html", context, status=status)
