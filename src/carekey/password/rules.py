"""What a new password must be: the rules `createpatient` applies, said in a sentence."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carekey.accounts.models import User
from carekey.errors import CareKeyError

# Argon2 takes any length, but hashing 10 000 characters on every sign-in is a gift to
# an attacker; 1024 is what the sign-in form and the API accept.
MAX_LENGTH = 1024


class WeakPassword(CareKeyError):
    code = "weak_password"
    status = 422
    default = gettext_lazy("Choose a stronger password.")


class PasswordsDiffer(CareKeyError):
    """The confirmation does not match: only the pages have a confirmation field."""

    code = "validation_error"
    status = 422
    default = gettext_lazy("The two new passwords are not the same. Type them again.")


def check_new_password(password: str, user: User, *, current: str | None = None) -> None:
    """Raise WeakPassword with every reason the password is refused, in one sentence."""
    if not password:
        raise WeakPassword(_("Enter a new password."))
    if "\x00" in password:
        raise WeakPassword(_("A password cannot contain a null character."))
    if len(password) > MAX_LENGTH:
        raise WeakPassword(_("Use at most %(n)s characters for your password.") % {"n": MAX_LENGTH})
    if current is not None and password == current:
        raise WeakPassword(_("Choose a new password that is different from your current one."))
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise WeakPassword(" ".join(str(message) for message in exc.messages)) from exc
