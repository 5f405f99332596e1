"""The security page composes its sections; every section's data comes from a service."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from carekey.accounts import app_tokens, sessions
from carekey.accounts.models import User
from carekey.applock import services as applock
from carekey.audit.activity import patient_activity
from carekey.client import describe_device
from carekey.mfa import services as mfa_services
from carekey.policy import models as policy
from carekey.portal.forms import AppLockForm


class _DeviceNames(dict[str, str]):
    """ "Firefox on Linux" for each user agent, translated once per page: the twenty
    activity rows mostly share the few agents of the patient's own devices (issue 18)."""

    def __missing__(self, agent: str) -> str:
        name = self[agent] = describe_device(agent)
        return name


def app_lock_form(user: User, data: object = None, mfa_on: bool | None = None) -> AppLockForm:
    on = mfa_services.has_verified_factor(user) if mfa_on is None else mfa_on
    prefs = applock.preferences(user, mfa_on=on)
    initial = {
        "enabled": prefs.enabled,
        "timeout_minutes": prefs.timeout_minutes,
        "unlock_method": prefs.unlock_method,
    }
    return AppLockForm(
        data,
        initial=initial,
        minutes=applock.minute_choices(),
        mfa_on=on,
        required_on=policy.current().require_app_lock,
    )


def render_security(
    request: HttpRequest, lock_form: AppLockForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    factors, codes_left = mfa_services.live_factors_and_codes_left(user)
    mfa_on = any(f.is_verified for f in factors)
    device_names = _DeviceNames()
    devices = [
        {
            "id": device.id,
            "this_device": device.current,
            "name": device_names[device.user_agent],
            "ip": device.ip,
            "last_active_at": device.last_active_at,
        }
        for device in sessions.devices(request, user)
    ]
    events = [
        {
            "event": e,
            "text": e.text,
            "device": _("Support desk") if e.by_support_desk else device_names[e.user_agent],
        }
        for e in patient_activity(user, 20)
    ]
    context = {
        "nav": "security",
        "factors": factors,
        "mfa_on": mfa_on,
        "recovery_codes_left": codes_left if mfa_on else 0,
        "lock_form": lock_form or app_lock_form(user, mfa_on=mfa_on),
        "devices": devices,
        "apps": app_tokens.connected(user),
        "other_devices": sum(1 for d in devices if not d["this_device"]),
        "events": events,
        "policy": policy.current(),
    }
    return render(request, "portal/security.html", context, status=status)
