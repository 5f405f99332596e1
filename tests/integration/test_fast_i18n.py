"""`{% load fast_i18n %}`'s translate tag writes exactly what Django's writes: every
`{% translate %}` in CareKey's templates, in every language, and the forms it hands back
to Django's node (noop, context, filters, variables)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from carekey.portal.templatetags.fast_i18n import LiteralTranslateNode

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "carekey" / "templates"
TAG = re.compile(r"{%\s*(?:translate|trans)\s.*?%}")
AS_VARIABLE = re.compile(r"\sas\s+(\w+)\s*%}$")

EDGE_CASES = [
    '{% translate "100% sure" %}',
    '{% translate "a %% b" %}',
    "{% translate 'single <b>quoted</b>' %}",
    '{% translate "Sign out" noop %}',
    '{% translate "May" context "month name" %}',
    '{% translate "Sign out"|upper %}',
    "{% translate word %}",
    '{% translate "" %}',
    '{% trans "Sign out" as label %}',
]


def our_tags() -> list[str]:
    found = {tag for path in TEMPLATES.rglob("*.html") for tag in TAG.findall(path.read_text())}
    return sorted(found)


def render(libraries: str, tag: str) -> str:
    shown = AS_VARIABLE.search(tag)
    source = f"{{% load {libraries} %}}{tag}" + (f"[{{{{ {shown[1]} }}}}]" if shown else "")
    return Template(source).render(Context({"word": "Sign <out>"}))


def test_the_templates_use_the_tag() -> None:
    assert len(our_tags()) > 100


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
def test_every_translate_tag_writes_what_djangos_writes(language: str) -> None:
    with translation.override(language):
        for tag in our_tags() + EDGE_CASES:
            assert render("i18n fast_i18n", tag) == render("i18n", tag), tag


def test_a_plain_literal_takes_the_direct_path_and_other_forms_do_not() -> None:
    def node_of(tag: str) -> object:
        return Template(f"{{% load i18n fast_i18n %}}{tag}").nodelist[-1]

    assert isinstance(node_of('{% translate "Sign out" %}'), LiteralTranslateNode)
    assert isinstance(node_of('{% trans "Sign out" as label %}'), LiteralTranslateNode)
    for tag in EDGE_CASES[3:7]:
        assert not isinstance(node_of(tag), LiteralTranslateNode), tag


def test_spanish_is_really_translated() -> None:
    with translation.override("es"):
        assert render("i18n fast_i18n", '{% translate "Sign out" %}') != "Sign out"
