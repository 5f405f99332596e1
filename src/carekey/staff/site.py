"""Staff sign in through the portal (same password rules, throttle and TOTP), never a
password-only form of the admin's own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from carekey.accounts import sessions
from carekey.navigation import SIGNIN, redirect_to


class CareKeyAdminSite(admin.AdminSite):
    site_header = _("CareKey support desk")
    site_title = _("CareKey support desk")
    index_title = _("Patients, audit trail and policy")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and sessions.aal(request.session) == "aal2")

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            return render(
                request,
                "carekey/error.html",
                {
                    "title": _("Staff only"),
                    "message": _(
                        "The support desk is for staff accounts with two-step "
                        "verification turned on."
                    ),
                },
                status=403,
            )
        return redirect_to(SIGNIN, request.GET.get("next") or reverse("admin:index"))
