"""The pages' one way to show a domain error: its sentence on the form, and the status;
and to say, after sign-in or unlock, that a change posted meanwhile was not saved.

The API answers a CareKeyError with its own status (422 for a wrong code); a page that
shows the form again answers 400, except for the two statuses a browser or a test can act
on: 429 (wait) and 403 (confirm it's you first).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from carekey import navigation
from carekey.errors import CareKeyError

PAGE_STATUSES = {429: 429, 403: 403}


def page_status(exc: CareKeyError) -> int:
    return PAGE_STATUSES.get(exc.status, 400)


def show_on_form(form: forms.Form, exc: CareKeyError, field: str | None = None) -> int:
    """The error's sentence on `field` (else the form's first field); the page's status."""
    form.add_error(field if field is not None else next(iter(form.fields), None), exc.message)
    return page_status(exc)


def show_for_form(form: forms.Form, exc: CareKeyError) -> int:
    """The error's sentence for the whole form (a passkey's refusal is about no field),
    whether or not the form was bound to what was posted; the page's status."""
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}  # an unbound form: Django's add_error expects the dict
    form.add_error(None, exc.message)
    return page_status(exc)


NOT_SAVED = {
    navigation.SIGNED_OUT: _(
        "You were signed out, so your change was not saved. Please do it again."
    ),
    navigation.WAS_LOCKED: _(
        "The portal locked, so your change was not saved. Please do it again."
    ),
}


def continue_to(request: HttpRequest, next_path: str) -> HttpResponseRedirect:
    """On to `next` after sign-in, the second step or unlock. A form posted while the
    session was signed out or locked left a marker on it: the page it came from then says
    the change was not saved, and the marker leaves the address (a refresh says nothing)."""
    path, reason = navigation.take_not_saved(next_path)
    if reason is not None:
        messages.warning(request, NOT_SAVED.get(reason, NOT_SAVED[navigation.SIGNED_OUT]))
    return HttpResponseRedirect(path)
