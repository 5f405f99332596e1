"""Patients in the staff admin: MFA status, factors without secrets, "Reset MFA"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count, OuterRef, QuerySet, Subquery, URLField
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from carekey.accounts.models import User
from carekey.errors import CareKeyError, StrOrPromise
from carekey.mfa import kinds
from carekey.mfa.errors import MfaError
from carekey.mfa.models import Factor, Passkey, RecoveryCode
from carekey.mfa.services import REASON_MAX_LENGTH, reset_mfa
from carekey.password.reset import send_link
from carekey.staff.permissions import SupportDeskAdmin
from carekey.staff.reset import (
    ResetNotAllowed,
    authorize_reset,
    may_reset_anyone,
    require_fresh_code,
)


def _count(model: Any, **filters: Any) -> Coalesce:
    rows = (
        model.objects.filter(user=OuterRef("pk"), **filters)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


class FactorInline(admin.TabularInline):  # type: ignore[type-arg]
    """Factors as staff see them: never a secret, a public key, a credential id or a user
    handle. A passkey adds what its authenticator reported: the AAGUID (the model of
    authenticator, all zeros when it chose not to say) and whether it syncs."""

    model = Factor
    fields = (
        "friendly_name",
        "kind",
        "status",
        "created_at",
        "last_used_at",
        "authenticator",
        "synced",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "factor"
    verbose_name_plural = "Two-step verification factors"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Factor]:
        base: QuerySet[Factor] = super().get_queryset(request)
        return base.select_related("passkey")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff)

    @admin.display(description="Type")
    def kind(self, obj: Factor) -> StrOrPromise:
        try:
            return kinds.get(obj.factor_type).label
        except KeyError:
            return obj.factor_type

    @admin.display(description="Authenticator (AAGUID)")
    def authenticator(self, obj: Factor) -> str:
        passkey = _passkey(obj)
        if passkey is None:
            return str(self.get_empty_value_display())
        if passkey.aaguid.strip("0-") == "":
            return "Not reported"
        return passkey.aaguid

    @admin.display(description="Synced")
    def synced(self, obj: Factor) -> str:
        """The backup flags: eligible means a synced (multi-device) passkey."""
        passkey = _passkey(obj)
        if passkey is None:
            return str(self.get_empty_value_display())
        if not passkey.backup_eligible:
            return "No, this device only"
        if passkey.backed_up:
            return "Yes, backed up"
        return "Can sync, not backed up yet"


def _passkey(factor: Factor) -> Passkey | None:
    try:
        return factor.passkey
    except Passkey.DoesNotExist:
        return None


class ResetReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why, for the audit trail: for example how you confirmed the patient's identity.",
    )
    code = forms.CharField(
        label="6-digit code",
        required=False,
        max_length=1000,
        help_text="From your own authenticator app, to confirm it's you. You can leave it "
        "empty if you entered a code or used a passkey in the last 5 minutes.",
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "size": "8",
            }
        ),
    )


def _confirmed(request: HttpRequest, staff: User, form: ResetReasonForm) -> bool:
    """The staff member's fresh code; a wrong or missing one is shown on the form."""
    try:
        require_fresh_code(request, staff, form.cleaned_data["code"])
    except CareKeyError as exc:
        form.add_error("code", exc.message)
        return False
    return True


def _reset_all(
    modeladmin: PatientAdmin, request: HttpRequest, staff: User, patients: list[User], reason: str
) -> None:
    """Does what `carekey resetmfa` does, for each patient already authorised."""
    done = 0
    for patient in patients:
        try:
            reset_mfa(patient, reason, staff=staff, request=request)
        except MfaError as exc:
            modeladmin.message_user(request, exc.message, messages.ERROR)
            return
        done += 1
    modeladmin.message_user(
        request,
        f"Two-step verification was reset for {done} patient(s); they were signed out "
        "everywhere and notified by email.",
        messages.SUCCESS,
    )


@admin.action(description="Reset MFA", permissions=["reset_mfa"])
def reset_mfa_action(
    modeladmin: PatientAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> HttpResponse | None:
    """Asks for a reason and the staff member's code on a page of its own, then resets.

    Who may reset whom is checked first, for every selected account, so a refusal changes
    nothing and spends no code.
    """
    staff = request.user
    assert isinstance(staff, User)
    patients = list(queryset)
    try:
        for patient in patients:
            authorize_reset(staff, patient)
    except ResetNotAllowed as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
        return None
    form = ResetReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid() and _confirmed(request, staff, form):
        _reset_all(modeladmin, request, staff, patients, form.cleaned_data["reason"])
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Reset MFA",
        "patients": patients,
        "form": form,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/carekey/reset_mfa.html", context)


@admin.action(description="Send a password reset link")
def send_password_reset_link(
    modeladmin: PatientAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    """The same email as "Forgot your password?": staff never see or choose a password,
    and the three-links-an-hour limit holds for them too."""
    staff = request.user
    assert isinstance(staff, User)
    sent, held = 0, []
    for patient in queryset.filter(is_active=True):
        if send_link(patient, request, by_staff=staff):
            sent += 1
        else:
            held.append(patient.email)
    if sent:
        modeladmin.message_user(
            request, f"Sent a password reset link to {sent} patient(s).", messages.SUCCESS
        )
    if held:
        modeladmin.message_user(
            request,
            "Not sent, three links already went out in the last hour: " + ", ".join(held),
            messages.WARNING,
        )


@admin.register(User)
class PatientAdmin(SupportDeskAdmin):
    # A FHIR URL typed without a scheme is https (Django 6's default, without the warning).
    formfield_overrides = {URLField: {"assume_scheme": "https"}}  # noqa: RUF012
    list_display = ("email", "name", "verified_factors", "recovery_codes_left", "last_login")
    search_fields = ("email", "name")
    list_filter = ("is_staff", "is_active")
    fields = (
        "email",
        "name",
        "fhir_user",
        "is_active",
        "is_staff",
        "last_login",
        "date_joined",
        "password_last_changed",
        "audit",
    )
    readonly_fields = ("last_login", "date_joined", "password_last_changed", "audit")
    inlines = (FactorInline,)
    actions = (reset_mfa_action, send_password_reset_link)
    ordering = ("email",)

    def has_reset_mfa_permission(self, request: HttpRequest) -> bool:
        """Offers "Reset MFA" only to staff granted it; Django drops it from the actions."""
        return isinstance(request.user, User) and may_reset_anyone(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        base: QuerySet[User] = super().get_queryset(request)
        return base.annotate(
            n_verified=_count(Factor, status=Factor.Status.VERIFIED),
            n_recovery=_count(RecoveryCode),
        )

    @admin.display(description="Verified factors", ordering="n_verified")
    def verified_factors(self, obj: Any) -> int:
        return int(obj.n_verified)

    @admin.display(description="Recovery codes left", ordering="n_recovery")
    def recovery_codes_left(self, obj: Any) -> int:
        return int(obj.n_recovery)

    @admin.display(description="Password last changed")
    def password_last_changed(self, obj: User) -> str:
        """When, never what: staff can neither see nor set a password (CONTRACT §7)."""
        if obj.password_changed_at is None:
            return f"Not changed since the account was created ({obj.date_joined:%Y-%m-%d})"
        return f"{obj.password_changed_at:%Y-%m-%d %H:%M} UTC"

    @admin.display(description="Audit trail")
    def audit(self, obj: User) -> str:
        return format_html(
            '<a href="{}?patient={}">Security events of this patient</a>',
            reverse("admin:audit_securityevent_changelist"),
            obj.pk,
        )
