"""The three password emails (CONTRACT §7): each in text and HTML, in the reader's language
(the browser's Accept-Language or the language cookie), with no secret in them but the
reset link, which appears once.
"""

from __future__ import annotations

import html as htmllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from carekey.accounts.models import User
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_password_reset import emailed_link
from tests.mfa_helpers import Enrolled, enroll_and_verify
from tests.page_helpers import elements, text_of

pytestmark = pytest.mark.django_db

NEW = "silver-meadow-compass-31"
KINDS = ("password_changed", "password_reset", "password_reset_link")


@pytest.fixture(autouse=True)
def answer_at_once(settings: Any) -> None:
    settings.CAREKEY_PASSWORD_RESET_ANSWER_SECONDS = 0


@dataclass
class Sent:
    """One email as the patient receives it, and every secret that existed when it went."""

    subject: str
    text: str
    html: str
    secrets: list[str]
    link: str | None = None
    token: str | None = None


def browser(language: str) -> ApiClient:
    """A browser reading English, or Spanish by its header or by the language cookie."""
    if language == "es-header":
        return ApiClient(HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    api = ApiClient()
    if language == "es-cookie":
        api.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return api


def the_only_email() -> Any:
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    return mail.outbox[0]


def as_sent(message: Any, secrets: list[str], **link: str) -> Sent:
    html = [content for content, kind in message.alternatives if kind == "text/html"]
    assert len(html) == 1
    return Sent(str(message.subject), str(message.body), str(html[0]), secrets, **link)


def secrets_of(api: ApiClient, enrolled: Enrolled) -> list[str]:
    return [
        PASSWORD,
        NEW,
        enrolled.secret,
        *enrolled.recovery_codes,
        api.client.cookies["carekey_session"].value,
    ]


def password_changed(patient: User, api: ApiClient) -> Sent:
    api.sign_in(patient.email)
    enrolled = enroll_and_verify(api)
    secrets = secrets_of(api, enrolled)
    mail.outbox.clear()
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert api.post("/session/password", body).status_code == 204
    return as_sent(the_only_email(), secrets)


def password_reset_link(patient: User, api: ApiClient) -> Sent:
    setup = ApiClient()
    setup.sign_in(patient.email)
    enrolled = enroll_and_verify(setup)
    secrets = secrets_of(setup, enrolled)
    mail.outbox.clear()
    assert api.post("/password/reset", {"email": patient.email}).status_code == 202
    link, token = emailed_link()
    return as_sent(the_only_email(), secrets, link=link, token=token)


def password_reset(patient: User, api: ApiClient) -> Sent:
    asked = password_reset_link(patient, api)
    assert asked.token is not None
    mail.outbox.clear()
    body = {"token": asked.token, "new_password": NEW}
    assert api.post("/password/reset/confirm", body).status_code == 204
    return as_sent(the_only_email(), [*asked.secrets, asked.token])


PRODUCE: dict[str, Callable[[User, ApiClient], Sent]] = {
    "password_changed": password_changed,
    "password_reset": password_reset,
    "password_reset_link": password_reset_link,
}

WORDS = {
    "en": {
        "password_changed": (
            "Your password was changed",
            "The password of your account was changed.",
        ),
        "password_reset": (
            "Your password was reset",
            "The password of your account was reset with a link we emailed to you.",
        ),
        "password_reset_link": (
            "Reset your password",
            "Someone asked to reset the password of your CareKey account. To choose a new "
            "password, open this link. It works once, for 30 minutes:",
        ),
    },
    "es": {
        "password_changed": (
            "Se cambió su contraseña",
            "Se cambió la contraseña de su cuenta.",
        ),
        "password_reset": (
            "Se restableció su contraseña",
            "Se restableció la contraseña de su cuenta con un enlace que le enviamos por "
            "correo electrónico.",
        ),
        "password_reset_link": (
            "Restablezca su contraseña",
            "Alguien pidió restablecer la contraseña de su cuenta de CareKey. Para elegir "
            "una contraseña nueva, abra este enlace. Funciona una sola vez, durante 30 "
            "minutos:",
        ),
    },
}
GREETING = {"en": "Hello Ana,", "es": "Hola, Ana:"}


def readable(html: str) -> str:
    return htmllib.unescape(text_of(html))


@pytest.mark.parametrize("language", ["en", "es-header", "es-cookie"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_email_is_in_the_readers_language_in_text_and_html(
    patient: User, kind: str, language: str
) -> None:
    sent = PRODUCE[kind](patient, browser(language))
    lang = language[:2]
    subject, sentence = WORDS[lang][kind]
    assert sent.subject == subject
    for shown in (sent.text, readable(sent.html)):
        assert sentence in " ".join(shown.split())
        assert GREETING[lang] in shown
    assert f'<html lang="{lang}">' in sent.html
    other = WORDS["en" if lang == "es" else "es"][kind][1]
    assert other not in sent.text and other not in readable(sent.html)


@pytest.mark.parametrize("language", ["en", "es-header"])
@pytest.mark.parametrize("kind", KINDS)
def test_no_email_holds_a_secret(patient: User, kind: str, language: str) -> None:
    sent = PRODUCE[kind](patient, browser(language))
    for secret in sent.secrets:
        for part in (sent.subject, sent.text, sent.html):
            assert secret not in part, f"{kind} shows a secret"


@pytest.mark.parametrize("kind", ["password_changed", "password_reset"])
def test_the_notices_hold_no_link_token(patient: User, kind: str) -> None:
    sent = PRODUCE[kind](patient, browser("en"))
    assert "/portal/password/reset/" not in sent.text + sent.html


@pytest.mark.parametrize("language", ["en", "es-header"])
def test_the_link_email_holds_the_token_only_inside_its_link(patient: User, language: str) -> None:
    sent = password_reset_link(patient, browser(language))
    assert sent.link and sent.token and sent.link.endswith(sent.token)
    for part in (sent.subject, sent.text, sent.html):
        assert sent.token not in part.replace(sent.link, "")


@pytest.mark.parametrize("language", ["en", "es-header"])
def test_the_link_appears_once_in_the_text(patient: User, language: str) -> None:
    sent = password_reset_link(patient, browser(language))
    assert sent.link and sent.token
    assert sent.text.count(sent.link) == 1
    assert sent.text.count(sent.token) == 1


@pytest.mark.parametrize("language", ["en", "es-header"])
def test_the_link_appears_once_in_the_html(patient: User, language: str) -> None:
    """One link to follow, and the same address once in the visible text to copy."""
    sent = password_reset_link(patient, browser(language))
    assert sent.link
    anchors = [a for tag, a, _t in elements(sent.html) if tag == "a"]
    assert [a.get("href") for a in anchors] == [sent.link]
    assert readable(sent.html).count(sent.link) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_each_email_goes_to_the_patient_only(patient: User, kind: str) -> None:
    PRODUCE[kind](patient, browser("en"))
    message = mail.outbox[0]
    assert message.to == ["ana@example.org"]
    assert not message.cc and not message.bcc


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Set a new password"), ("es-cookie", "Elija una contraseña nueva")],
)
def test_the_link_is_named_in_the_readers_language(
    patient: User, language: str, words: str
) -> None:
    sent = password_reset_link(patient, browser(language))
    anchors = [t for tag, a, t in elements(sent.html) if tag == "a" and a.get("href") == sent.link]
    assert anchors == [words]
