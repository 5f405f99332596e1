"""django-otp's own calls behind two small JSON views (django-otp ships no API).

`verify` is django_otp.views.LoginView's token step for a signed-in, not yet verified
user, answering JSON instead of a template: OTPTokenForm (the device chosen from the
user's devices, loaded with SELECT ... FOR UPDATE in a transaction, its throttle checked,
the token checked against the device's last accepted step), then django.contrib.auth's
login(), which rotates the session key, updates last_login and, through django-otp's
user_logged_in handler, marks the session verified (otp_login).
"""

from __future__ import annotations

from django.contrib.auth import BACKEND_SESSION_KEY, login
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_POST
from django_otp import devices_for_user
from django_otp.forms import OTPTokenForm


@require_GET
def devices(request: HttpRequest) -> JsonResponse:
    """The user's devices (TOTP and static), as an account page would list them."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "signed out"}, status=403)
    found = [
        {"id": device.persistent_id, "name": device.name, "confirmed": device.confirmed}
        for device in devices_for_user(request.user, confirmed=None)
    ]
    return JsonResponse({"devices": found})


@require_POST
def verify(request: HttpRequest) -> JsonResponse:
    """POST otp_device=<persistent id>&otp_token=<code>: 200 verified, 422 refused."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"error": "signed out"}, status=403)
    form = OTPTokenForm(user, request, data=request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=422)
    verified = form.get_user()
    if not hasattr(verified, "backend"):  # as LoginView.form_valid does
        verified.backend = request.session[BACKEND_SESSION_KEY]
    login(request, verified)
    return JsonResponse({"verified": True, "device": verified.otp_device.persistent_id})
