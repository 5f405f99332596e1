"""The recovery-codes page: a new set shown once, saying why it was made, with a download
and a printout that name the site, the account and the date; or, when no set is waiting
(a refresh, Back), why the codes are not shown again and how to make new ones."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from carekey import conf
from carekey.accounts.sessions import signed_in_patient
from carekey.mfa import services
from carekey.portal.forms import SavedCodesForm

DOWNLOAD_NAME = "carekey-recovery-codes.txt"


def _about_lines(email: str, made: str) -> list[str]:
    """Whose codes these are, for which site, from when: on the page, printout and file."""
    return [
        _("Site: %(site)s (%(url)s)") % {"site": conf.issuer(), "url": conf.public_url()},
        _("Account: %(email)s") % {"email": email},
        _("Made: %(date)s") % {"date": made},
    ]


def _download_href(about: list[str], codes: list[str]) -> str:
    title = _("%(site)s recovery codes") % {"site": conf.issuer()}
    advice = _("Each code works once. Keep this file somewhere safe.")
    text = "\n".join([title, "", *about, "", advice, "", *codes, ""])
    return f"data:text/plain;charset=utf-8,{quote(text)}"


def recovery_codes_page(request: HttpRequest, held: services.CodesToShow | None) -> HttpResponse:
    user = signed_in_patient(request)
    context: dict[str, object] = {"nav": "security", "held": held}
    if held is None:
        context["remaining"] = services.remaining_recovery_codes(user)
        return render(request, "portal/recovery_codes.html", context)
    made = date_format(held.made_at, "j M Y, H:i") + " UTC"
    about = _about_lines(user.email, made)
    context.update(
        codes=held.codes,
        about=about,
        replaced=held.occasion == services.REPLACED,
        after_passkey=held.occasion == services.AFTER_PASSKEY,
        download_href=_download_href(about, held.codes),
        download_name=DOWNLOAD_NAME,
        form=SavedCodesForm(),
    )
    return render(request, "portal/recovery_codes.html", context)
