"""Friendly names: trimmed, 1 to 64 characters, unique per patient ignoring case."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from carekey.accounts.models import User
from carekey.mfa.errors import InvalidName, NameConflict, TooManyFactors
from carekey.mfa.models import NAME_MAX_LENGTH, Factor

DEFAULT_NAME = "Authenticator app"  # stored, so not translated


def _has_control_characters(name: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in name)


def _default_name(taken: set[str], base: str) -> str:
    if base.lower() not in taken:
        return base
    number = 2
    while f"{base} {number}".lower() in taken:
        number += 1
    return f"{base} {number}"


def is_default_name(name: str, default: str = DEFAULT_NAME) -> bool:
    """Whether `name` looks like one `choose_name` picked ("Authenticator app 2"), so the
    Security page can say so instead of showing the kind twice in one row. A patient who
    typed that very name gets the same note: the stored names stay as they are."""
    return re.fullmatch(rf"{re.escape(default)}(?: [1-9][0-9]*)?", name.strip(), re.I) is not None


def choose_name(
    user: User,
    raw: str | None,
    *,
    max_factors: int | None,
    exclude: Factor | None = None,
    default: str = DEFAULT_NAME,
) -> str:
    """Validate `raw` (or pick the next default) against the patient's other factors."""
    others = Factor.objects.filter(user=user)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    existing = list(others.values_list("friendly_name", flat=True))
    if max_factors is not None and len(existing) >= max_factors:
        raise TooManyFactors()
    taken = {name.lower() for name in existing}
    name = (raw or "").strip()
    if not name:
        return _default_name(taken, default)
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidName(_("Use a name of at most %(n)s characters.") % {"n": NAME_MAX_LENGTH})
    if _has_control_characters(name):
        raise InvalidName(_("Use a name made of letters, numbers, spaces and punctuation."))
    if name.lower() in taken:
        raise NameConflict()
    return name
