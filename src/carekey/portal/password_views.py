"""Password pages (CONTRACT §7): "Change password", "Forgot your password?" and the
emailed link's page. Every rule is in carekey/password; these translate forms to calls."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from carekey import conf, refusal_log
from carekey.accounts import throttle
from carekey.accounts.sessions import signed_in_patient
from carekey.errors import CareKeyError
from carekey.navigation import SECURITY, SIGNIN, url
from carekey.password import change, reset
from carekey.password.rules import WeakPassword
from carekey.portal.feedback import page_status
from carekey.portal.password_forms import NewPasswordForm, PasswordChangeForm, ResetRequestForm

RESET_SENT = "password-reset-sent"


def _show(form: forms.Form, exc: CareKeyError) -> int:
    """The refusal's sentence where it belongs; the page's status."""
    if isinstance(exc, change.WrongCurrentPassword):
        form.add_error("current_password", exc.message)
    elif isinstance(exc, WeakPassword):
        form.add_error("new_password", exc.message)
    else:
        form.add_error(None, exc.message)
    return page_status(exc)


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, object],
    status: int,
    retry_after: int | None = None,
) -> HttpResponse:
    response = render(request, template, context, status=status)
    if status == 429 and retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    user = signed_in_patient(request)
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    status, retry_after = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                ended = change.change_password(
                    request, user, data["current_password"], data["new_password"]
                )
            except CareKeyError as exc:
                status, retry_after = _show(form, exc), exc.retry_after
            else:
                messages.success(request, _changed_sentence(ended))
                # No #fragment: the message sits at the top of the page, where it is seen.
                return HttpResponseRedirect(url(SECURITY))
    context = {"form": form, "nav": "security"}
    return _render(request, "portal/password_change.html", context, status, retry_after)


def _changed_sentence(ended: int) -> str:
    if not ended:
        return _("Your password is changed.")
    return _("Your password is changed. Your other devices were signed out.")


@require_http_methods(["GET", "POST"])
def request_reset(request: HttpRequest) -> HttpResponse:
    """ "Forgot your password?": the same answer for every email, known or not."""
    form = ResetRequestForm(request.POST if request.method == "POST" else None)
    status, retry_after = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                reset.request_link(request, form.cleaned_data["email"])
            except throttle.Throttled as exc:
                status, retry_after = _show(form, exc), exc.retry_after
            else:
                return HttpResponseRedirect(url(RESET_SENT))
    return _render(request, "portal/password_reset.html", {"form": form}, status, retry_after)


@require_GET
def reset_sent(request: HttpRequest) -> HttpResponse:
    minutes = int(conf.password_reset_lifetime().total_seconds() // 60)
    return render(request, "portal/password_reset_sent.html", {"minutes": minutes})


@require_http_methods(["GET", "POST"])
def reset_with_link(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link's page: a new password, then sign in (with the second step).

    A complete form goes straight to the service, which counts a dead link against this
    address; anything else only looks the link up.
    """
    form = NewPasswordForm(request.POST if request.method == "POST" else None)
    if not form.is_bound or not form.is_valid():
        try:
            reset.patient_for_link(token)
        except reset.LinkNotValid as exc:
            return _link_refused(request, exc)
    status, retry_after = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                reset.reset_with_link(request, token, form.cleaned_data["new_password"])
            except reset.LinkNotValid as exc:
                return _link_refused(request, exc)
            except CareKeyError as exc:
                status, retry_after = _show(form, exc), exc.retry_after
            else:
                messages.success(request, _("Your new password is set. Sign in with it now."))
                return HttpResponseRedirect(url(SIGNIN))
    context = {"form": form, "token": token}
    return _render(request, "portal/password_reset_link.html", context, status, retry_after)


def _link_refused(request: HttpRequest, exc: CareKeyError) -> HttpResponse:
    refusal_log.note(request, refusal_log.DEAD_RESET_LINK)
    return render(request, "portal/password_reset_link.html", {"refused": exc.message}, status=400)
