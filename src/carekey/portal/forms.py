"""Page forms: field names and labels follow CONTRACT §2 exactly."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from carekey.applock import services as applock
from carekey.portal.widget_writer import WidgetWriter


class SignInForm(forms.Form):
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(
            # "webauthn": browsers offer this site's passkeys here (conditional UI).
            attrs={"autocomplete": "username webauthn", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def code_field() -> forms.CharField:
    return forms.CharField(
        label=_("6-digit code"),
        max_length=1000,
        required=True,
        error_messages={"required": _("Enter the 6-digit code from your authenticator app.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "size": "8",
            }
        ),
    )


def recovery_code_field() -> forms.CharField:
    return forms.CharField(
        label=_("Recovery code"),
        max_length=1000,
        required=True,
        error_messages={"required": _("Enter one of your recovery codes.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )


class CodeForm(forms.Form):
    code = code_field()


class RecoveryCodeForm(forms.Form):
    recovery_code = recovery_code_field()


class EnrollmentForm(forms.Form):
    friendly_name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=1000,
        help_text=_("Optional. Helps you tell your authenticator apps apart."),
    )
    code = code_field()


class PasskeyNameForm(forms.Form):
    friendly_name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=1000,
        help_text=_('Optional, such as "Work laptop". Helps you tell your passkeys apart.'),
    )


class SavedCodesForm(forms.Form):
    saved = forms.BooleanField(
        label=_("I have saved my recovery codes"),
        error_messages={"required": _("Confirm that you have saved your recovery codes.")},
    )


def second_factor_form(data: object, use_recovery: bool) -> forms.Form:
    """The code form, or the recovery-code form when the patient asked for it."""
    form_class = RecoveryCodeForm if use_recovery else CodeForm
    return form_class(data)  # type: ignore[arg-type]


class LockAfterField(forms.TypedChoiceField):
    """The "Lock after" select: offers the delays of the app-lock rule and refuses any other
    in the rule's own sentence, the one the API's 422 gives (applock.lock_minutes_refusal)."""

    def validate(self, value: Any) -> None:
        if value in self.empty_values:
            super().validate(value)
            return
        try:
            minutes: int | None = int(value)
        except (TypeError, ValueError):
            minutes = None
        refusal = applock.lock_minutes_refusal(minutes)
        if refusal is None and not self.valid_value(value):
            refusal = applock.lock_minutes_rule()
        if refusal is not None:
            raise forms.ValidationError(refusal, code="invalid_choice")


WIDGET_WRITER = WidgetWriter()


class AppLockForm(forms.Form):
    # Its widgets are written in Python: a tenth of the security page's time (issue 18).
    default_renderer = WIDGET_WRITER

    enabled = forms.BooleanField(label=_("Lock the portal when I'm away"), required=False)
    timeout_minutes = LockAfterField(label=_("Lock after"), coerce=int, choices=())
    unlock_method = forms.ChoiceField(label=_("Unlock with"), widget=forms.RadioSelect, choices=())

    def __init__(
        self, *args: Any, minutes: list[int], mfa_on: bool, required_on: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if required_on:
            del self.fields["enabled"]  # the organisation requires app lock: no off switch
        minute_field = self.fields["timeout_minutes"]
        assert isinstance(minute_field, forms.TypedChoiceField)
        minute_field.choices = [
            (m, ngettext("%(n)s minute", "%(n)s minutes", m) % {"n": m}) for m in minutes
        ]
        methods = [("code", _("Authenticator code"))] if mfa_on else []
        method_field = self.fields["unlock_method"]
        assert isinstance(method_field, forms.ChoiceField)
        method_field.choices = [*methods, ("password", _("Password"))]


class UnlockForm(forms.Form):
    def __init__(self, *args: Any, method: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if method == "code":
            self.fields["code"] = code_field()
        else:
            self.fields["password"] = forms.CharField(
                label=_("Password"),
                max_length=1024,
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
            )
