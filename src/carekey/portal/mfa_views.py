"""The two-step verification pages: enroll, verify, recovery codes, remove.

Plain forms with post/redirect/get, so every step works with JavaScript off. Views only
translate forms to service calls; every rule lives in `carekey.mfa.services`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carekey.accounts import session_state
from carekey.accounts.sessions import signed_in_patient
from carekey.core import totp
from carekey.errors import CareKeyError
from carekey.mfa import services
from carekey.mfa.errors import (
    FactorNotFound,
    InvalidName,
    MfaError,
    NameConflict,
    PasskeyVerificationFailed,
)
from carekey.mfa.models import Factor
from carekey.navigation import SECURITY, safe_next, url
from carekey.portal import passkey_forms
from carekey.portal.feedback import show_for_form, show_on_form
from carekey.portal.forms import EnrollmentForm, SavedCodesForm, second_factor_form
from carekey.portal.recovery_codes_page import recovery_codes_page

CODE_FIELDS = ("code", "recovery_code", "password")
RECOVERY_CODES = "recovery-codes"


def _use_recovery(request: HttpRequest) -> bool:
    asked = request.GET.get("method") == "recovery" or request.POST.get("method") == "recovery"
    return asked or "recovery_code" in request.POST


def fail_on_form(form: forms.Form, exc: CareKeyError) -> int:
    """Show a service error on the name or the code field; return the page's status."""
    if isinstance(exc, PasskeyVerificationFailed):  # about the passkey, not a field
        return show_for_form(form, exc)
    about_name = isinstance(exc, NameConflict | InvalidName) and "friendly_name" in form.fields
    field = (
        "friendly_name" if about_name else next((f for f in CODE_FIELDS if f in form.fields), None)
    )
    return show_on_form(form, exc, field)


def _reauthenticate_from(request: HttpRequest, form: forms.Form) -> None:
    if passkey_forms.posted(request):
        user = signed_in_patient(request)
        services.reauthenticate_with_passkey(request, user, passkey_forms.credential(request, user))
        return
    services.reauthenticate(
        request,
        signed_in_patient(request),
        code=form.cleaned_data.get("code"),
        recovery_code=form.cleaned_data.get("recovery_code"),
    )


def _factor_or_404(request: HttpRequest, factor_id: object) -> Factor:
    try:
        return services.get_factor(signed_in_patient(request), factor_id)
    except FactorNotFound as exc:
        raise Http404("no such factor") from exc


def _confirm_page(
    request: HttpRequest, form: forms.Form, intro: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "action": request.path,
        "title": _("Confirm it's you"),
        "intro": intro,
        "nav": "security",
        "has_passkey": services.has_passkey(signed_in_patient(request)),
    }
    return render(request, "portal/confirm.html", context, status=status)


def ask_for_proof(request: HttpRequest, intro: str = "") -> HttpResponse | None:
    """Reauthenticate from this POST; return the page to show if that is not done.

    Asking is a GET page at the same address: a POST with nothing to check (the button
    that needs a fresh code, "Use a recovery code") redirects there, so that Back and a
    refresh never post again.
    """
    use_recovery = _use_recovery(request)
    by_passkey = passkey_forms.posted(request)
    if not by_passkey and "code" not in request.POST and "recovery_code" not in request.POST:
        if request.method == "POST":
            method = "recovery" if use_recovery else "code"
            return HttpResponseRedirect(f"{request.path}?method={method}")
        return _confirm_page(request, second_factor_form(None, use_recovery), intro)
    form = second_factor_form(None if by_passkey else request.POST, use_recovery)
    if not by_passkey and not form.is_valid():
        return _confirm_page(request, form, intro, status=400)
    try:
        _reauthenticate_from(request, form)
    except CareKeyError as exc:
        return _confirm_page(request, form, intro, status=fail_on_form(form, exc))
    return None


def show_recovery_codes(request: HttpRequest, codes: list[str], occasion: str) -> HttpResponse:
    """Post/redirect/get: the new set waits sealed in the session for its one display at
    the GET address, so a refresh or Back neither posts again nor shows the codes twice."""
    services.hold_for_display(request.session, codes, occasion)
    return HttpResponseRedirect(url(RECOVERY_CODES))


@require_http_methods(["GET", "POST"])
def start_enrollment(request: HttpRequest) -> HttpResponse:
    """POST "Enable MFA" / "Add authenticator app"; GET is where a fresh code is asked."""
    user = signed_in_patient(request)
    if services.needs_reauthentication(request, user) and (page := ask_for_proof(request)):
        return page
    if request.method == "GET":  # nothing is made by a GET
        return HttpResponseRedirect(url(SECURITY, fragment="two-step-heading"))
    try:
        enrollment = services.enroll(request, user)
    except MfaError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(url(SECURITY))
    return HttpResponseRedirect(url("factor-verify", enrollment.factor.pk))


@require_http_methods(["GET", "POST"])
def verify_enrollment(request: HttpRequest, factor_id: Any) -> HttpResponse:
    user = signed_in_patient(request)
    factor = _factor_or_404(request, factor_id)
    setup = services.enrollment_setup(request, user, factor)
    if setup is None and factor.is_verified:  # finished already: Back, refresh, another tab
        messages.info(request, _("%(name)s is verified.") % {"name": factor.friendly_name})
        return HttpResponseRedirect(url(SECURITY))
    if setup is None:
        raise Http404("not an enrollment of this session")
    status = 200
    form = EnrollmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = services.verify_enrollment(
                    request,
                    user,
                    factor.pk,
                    form.cleaned_data["code"],
                    form.cleaned_data["friendly_name"],
                )
            except CareKeyError as exc:
                status = fail_on_form(form, exc)
            else:
                if result.recovery_codes:
                    return show_recovery_codes(request, result.recovery_codes, services.AFTER_APP)
                messages.success(
                    request, _("%(name)s is verified.") % {"name": result.factor.friendly_name}
                )
                return HttpResponseRedirect(url(SECURITY))
    context = {
        "factor": factor,
        "form": form,
        "qr_code": totp.qr_code_data_uri(setup.uri),
        "otpauth_uri": setup.uri,  # "Open in your authenticator app" on a phone
        "secret_groups": setup.secret_groups,
        "nav": "security",
    }
    return render(request, "portal/enroll.html", context, status=status)


@require_POST
def cancel_enrollment(request: HttpRequest, factor_id: Any) -> HttpResponse:
    factor = _factor_or_404(request, factor_id)
    if not factor.is_verified:
        services.remove_factor(request, signed_in_patient(request), factor.pk)
    return HttpResponseRedirect(url(SECURITY))


def _try_removal(request: HttpRequest, factor: Factor, form: forms.Form | None) -> int | None:
    """Check the confirmation code or passkey (verified factors) and remove; None on success."""
    if form is not None and not passkey_forms.posted(request) and not form.is_valid():
        return 400
    try:
        if form is not None:
            _reauthenticate_from(request, form)
        services.remove_factor(request, signed_in_patient(request), factor.pk)
    except CareKeyError as exc:
        if form is None:
            raise
        return fail_on_form(form, exc)
    return None


@require_http_methods(["GET", "POST"])
def remove_factor(request: HttpRequest, factor_id: Any) -> HttpResponse:
    factor = _factor_or_404(request, factor_id)
    use_recovery = _use_recovery(request)
    data = request.POST if request.method == "POST" and not passkey_forms.posted(request) else None
    form = second_factor_form(data, use_recovery) if factor.is_verified else None
    status = 200
    if request.method == "POST":
        failed = _try_removal(request, factor, form)
        if failed is None:
            messages.success(request, _("%(name)s was removed.") % {"name": factor.friendly_name})
            return HttpResponseRedirect(url(SECURITY))
        status = failed
    context = {
        "factor": factor,
        "form": form,
        "use_recovery": use_recovery,
        "nav": "security",
        "has_passkey": services.has_passkey(signed_in_patient(request)),
    }
    return render(request, "portal/remove.html", context, status=status)


@require_http_methods(["GET", "POST"])
def generate_recovery_codes(request: HttpRequest) -> HttpResponse:
    """GET: a set just made, shown once; else the way to make a new one (a fresh code
    first, when one is owed). POST: "Generate new recovery codes"."""
    user = signed_in_patient(request)
    owed = services.needs_reauthentication(request, user)
    if request.method == "GET":
        held = services.take_for_display(request.session)
        if held is not None:
            return recovery_codes_page(request, held)
        if not services.has_verified_factor(user):
            return HttpResponseRedirect(url(SECURITY))
        if not (owed and "method" in request.GET):  # a refresh, Back: not the code step
            return recovery_codes_page(request, None)
    intro = _("New recovery codes replace the ones you have now: those stop working at once.")
    if owed and (page := ask_for_proof(request, intro)):
        return page
    if request.method == "GET":
        return recovery_codes_page(request, None)
    try:
        codes = services.generate_recovery_codes(request, user)
    except MfaError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(url(SECURITY))
    return show_recovery_codes(request, codes, services.REPLACED)


@require_POST
def recovery_codes_saved(request: HttpRequest) -> HttpResponse:
    if SavedCodesForm(request.POST).is_valid():
        messages.success(request, _("Two-step verification is on."))
    else:
        messages.info(
            request,
            _(
                "If you did not save your recovery codes, generate new ones below and keep "
                "them somewhere safe."
            ),
        )
    waiting = session_state.pop_return_to(request.session)  # an app asked for this step
    return HttpResponseRedirect(safe_next(waiting, default=url(SECURITY)))
