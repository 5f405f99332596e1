"""The password forms of CONTRACT §7: field names and labels exactly as it says.

Lengths and strength are judged by password/rules.py, so the page and the API give the
same sentence for the same password; the forms only check the confirmation.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carekey.password.rules import PasswordsDiffer

NEW_PASSWORD_HINT = _(
    "At least 10 characters. Not a common password, not only numbers, and not like your "
    "email or name. A few unrelated words make a strong one."
)


def _password_field(label: Any, autocomplete: str, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class NewPasswordForm(forms.Form):
    """ "New password" and "Confirm new password": the reset link's page."""

    new_password = _password_field(_("New password"), "new-password", NEW_PASSWORD_HINT)
    confirm_password = _password_field(_("Confirm new password"), "new-password")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new, again = data.get("new_password"), data.get("confirm_password")
        if new is not None and again is not None and new != again:
            self.add_error("confirm_password", PasswordsDiffer.default)
        return data


class PasswordChangeForm(NewPasswordForm):
    current_password = _password_field(_("Current password"), "current-password")
    field_order = ("current_password", "new_password", "confirm_password")


class ResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
