"""Every string translatable, a complete Spanish catalogue, language from the browser."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import PASSWORD, require

SRC = Path(__file__).resolve().parents[2] / "src" / "carekey"
TEMPLATES = SRC / "templates"
CATALOGUE = SRC / "locale" / "es" / "LC_MESSAGES"


def visible_text(template: str) -> str:
    """What a template shows that is not inside a translation tag, a variable or markup."""
    text = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", " ", template, flags=re.S)
    text = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<!DOCTYPE[^>]*>|<[^>]+>", " ", text)
    text = re.sub(r'\s[a-z-]+="[^"]*"', " ", text)  # attributes given in a block of their own
    return re.sub(r"&[a-z#0-9]+;", " ", text)


@pytest.mark.parametrize(
    "path",
    sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"}),
    ids=lambda p: str(p.relative_to(TEMPLATES)),
)
def test_every_template_string_is_marked_for_translation(path: Path) -> None:
    leftover = visible_text(path.read_text(encoding="utf-8"))
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z']+", leftover) if w not in {"UTC", "CareKey"}]
    assert not words, f"unmarked text in {path.name}: {' '.join(words)[:200]}"


def test_attributes_people_read_are_translated_too() -> None:
    for path in TEMPLATES.rglob("*.html"):
        for attribute in re.findall(
            r'\b(?:alt|aria-label|title|placeholder)="([^"{]+)"', path.read_text()
        ):
            pytest.fail(f"untranslated attribute text in {path.name}: {attribute}")


def test_spanish_catalogue_has_every_message_translated(tmp_path: Path) -> None:
    """Extracts the messages afresh, so a new untranslated string fails this test."""
    require(shutil.which("xgettext") is not None, "gettext is missing (apt-get install gettext)")
    tree = tmp_path / "carekey"
    shutil.copytree(SRC, tree, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "es",
            "--no-location",
            "--no-obsolete",
            "--settings=carekey.settings",
        ],
        cwd=tree,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [
            "msgfmt",
            "--check",
            "--statistics",
            "-o",
            "/dev/null",
            str(tree / "locale" / "es" / "LC_MESSAGES" / "django.po"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    stats = result.stderr.strip()
    assert re.fullmatch(r"\d+ translated messages\.", stats), stats
    assert int(stats.split()[0]) >= 200


def test_compiled_catalogue_matches_the_source(tmp_path: Path) -> None:
    require(shutil.which("msgfmt") is not None, "gettext is missing (apt-get install gettext)")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(CATALOGUE / "django.po")], check=True)
    with fresh.open("rb") as a, (CATALOGUE / "django.mo").open("rb") as b:
        assert gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_accept_language_es_serves_spanish() -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").get("/portal/signin")
    html = page.content.decode()
    assert '<html lang="es">' in html
    assert "Iniciar sesión" in html and "Correo electrónico" in html


@pytest.mark.django_db
def test_language_switch_remembers_the_choice(patient) -> None:
    client = Client()
    client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    assert "Security settings" in client.get("/portal/security").content.decode()
    switched = client.post("/i18n/setlang/", {"language": "es", "next": "/portal/security"})
    assert switched.status_code == 302 and switched["Location"] == "/portal/security"
    html = client.get("/portal/security").content.decode()
    assert "Configuración de seguridad" in html and "Activar MFA" in html


@pytest.mark.django_db
def test_api_errors_follow_the_language() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="es").get("/api/v1/session")
    assert response.json()["error"] == {
        "code": "not_authenticated",
        "message": "Inicie sesión primero.",
    }


def test_spanish_is_latin_american() -> None:
    """Our Spanish readers are mostly Latin American: "computadora", not Spain's words."""
    catalogue = gettext.GNUTranslations((CATALOGUE / "django.mo").open("rb"))
    spanish = " ".join(str(text) for text in catalogue._catalog.values()).lower()  # type: ignore[attr-defined]
    assert "computadora" in spanish
    for spain_only in ("ordenador", "móvil", "vosotros", "coger"):
        assert spain_only not in spanish, spain_only
