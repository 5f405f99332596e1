"""`{% load fast_url %}`'s url tag writes what Django's writes for every `{% url %}` of
CareKey's templates, and a remembered route follows the script prefix it is served under."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from django.template import Context, Template
from django.urls import get_script_prefix, set_script_prefix

from carekey.portal.templatetags.fast_url import FixedURLNode

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "carekey" / "templates"
TAG = re.compile(r"{%\s*url\s.*?%}")
AS_VARIABLE = re.compile(r"\sas\s+(\w+)\s*%}$")
CONTEXT = {"factor": {"pk": uuid.uuid4()}, "token": "a-b_c", "app": {"client_id": "x<y>"}}


def our_tags() -> list[str]:
    return sorted({t for path in TEMPLATES.rglob("*.html") for t in TAG.findall(path.read_text())})


def render(libraries: str, tag: str) -> str:
    shown = AS_VARIABLE.search(tag)
    source = f"{libraries}{tag}" + (f"[{{{{ {shown[1]} }}}}]" if shown else "")
    return Template(source).render(Context(CONTEXT))


def test_every_url_tag_writes_what_djangos_writes() -> None:
    tags = our_tags()
    assert len(tags) > 20
    for tag in tags:
        assert render("{% load fast_url %}", tag) == render("", tag), tag


def test_only_a_fixed_route_is_remembered() -> None:
    def node_of(tag: str) -> object:
        return Template(f"{{% load fast_url %}}{tag}").nodelist[-1]

    assert isinstance(node_of("{% url 'security' %}"), FixedURLNode)
    for tag in (
        "{% url 'factor-remove' factor.pk %}",
        "{% url 'security' as here %}",
        "{% url 'admin:index' %}",
        "{% url name %}",
    ):
        assert not isinstance(node_of(tag), FixedURLNode), tag


def test_a_remembered_route_follows_the_script_prefix() -> None:
    template = Template("{% load fast_url %}{% url 'security' %}")
    before = get_script_prefix()
    try:
        set_script_prefix("/")
        plain = template.render(Context())
        set_script_prefix("/care/")
        prefixed = template.render(Context())
    finally:
        set_script_prefix(before)
    assert plain == "/portal/security"
    assert prefixed == "/care/portal/security"
