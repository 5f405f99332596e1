"""The "Add a passkey" step: reauthentication first when a factor is verified (CONTRACT §6),
then "Name" and "Create passkey". Creating the passkey needs JavaScript (the browser's
WebAuthn API); the page says so when it is off. Every rule is in mfa/passkeys.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carekey.accounts import session_state
from carekey.accounts.sessions import signed_in_patient
from carekey.errors import CareKeyError
from carekey.mfa import services
from carekey.navigation import SECURITY, safe_next, url
from carekey.portal import passkey_forms
from carekey.portal.forms import PasskeyNameForm
from carekey.portal.mfa_views import ask_for_proof, fail_on_form, show_recovery_codes

ADD_PASSKEY = "passkey-add"


@require_http_methods(["GET", "POST"])
def add_passkey(request: HttpRequest) -> HttpResponse:
    user = signed_in_patient(request)
    if services.needs_reauthentication(request, user):
        # Until the patient proves a factor, whatever is posted here is that proof.
        if page := ask_for_proof(request):
            return page
        return HttpResponseRedirect(url(ADD_PASSKEY))
    form = PasskeyNameForm(request.POST if request.method == "POST" else None)
    status = 200
    if passkey_forms.posted(request):
        try:
            result = services.register_passkey(
                request,
                user,
                passkey_forms.credential(request, user),
                request.POST.get("friendly_name", ""),
            )
        except CareKeyError as exc:
            status = fail_on_form(form, exc)
        else:
            if result.recovery_codes:
                return show_recovery_codes(request, result.recovery_codes, services.AFTER_PASSKEY)
            text = _("Your passkey %(name)s is added.") % {"name": result.factor.friendly_name}
            messages.success(request, text)
            waiting = session_state.pop_return_to(request.session)  # an app asked for this
            return HttpResponseRedirect(safe_next(waiting, default=url(SECURITY)))
    elif request.method == "POST":
        status = 400  # the form posted without a passkey: JavaScript is needed
        form.add_error(None, _("Creating a passkey needs JavaScript. Turn it on and try again."))
    context = {"form": form, "nav": "security"}
    return render(request, "portal/passkey_add.html", context, status=status)
