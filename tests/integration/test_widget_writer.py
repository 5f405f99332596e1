"""The app-lock form's widgets written in Python (issue 18) are Django's own markup: each
state of the form is rendered by WidgetWriter and by Django's default renderer, and the
two must match character for character."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.renderers import DjangoTemplates
from django.utils import translation

from carekey.portal.forms import AppLockForm
from carekey.portal.widget_writer import WidgetWriter

pytestmark = pytest.mark.django_db

MINUTES = [1, 2, 5, 10, 15, 30]
STATES: list[tuple[dict[str, Any] | None, dict[str, Any]]] = [
    (None, {"mfa_on": True, "required_on": False}),
    (None, {"mfa_on": False, "required_on": False}),
    (None, {"mfa_on": True, "required_on": True}),
    (
        {"enabled": "on", "timeout_minutes": "5", "unlock_method": "code"},
        {"mfa_on": True, "required_on": False},
    ),
    (
        {"enabled": "on", "timeout_minutes": "7", "unlock_method": "x"},
        {"mfa_on": True, "required_on": False},
    ),
    (
        {"timeout_minutes": '"><script>', "unlock_method": "<b>"},
        {"mfa_on": False, "required_on": True},
    ),
]


def rendered(data: dict[str, Any] | None, options: dict[str, Any], renderer: Any) -> str:
    form = AppLockForm(
        data,
        initial={"enabled": True, "timeout_minutes": 10, "unlock_method": "code"},
        minutes=MINUTES,
        renderer=renderer,
        **options,
    )
    form.is_valid() if data is not None else None
    parts = [str(form[name]) for name in form.fields]
    parts += [str(radio.tag()) for radio in form["unlock_method"]]
    parts += [str(radio) for radio in form["unlock_method"]]  # the label-wrapped form too
    return "\n".join(parts)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(("data", "options"), STATES)
def test_each_state_is_written_as_django_writes_it(
    language: str, data: dict[str, Any] | None, options: dict[str, Any]
) -> None:
    with translation.override(language):
        ours = rendered(data, options, WidgetWriter())
        djangos = rendered(data, options, DjangoTemplates())
    assert ours == djangos
    assert "<script>" not in ours


def test_the_security_page_form_uses_the_writer() -> None:
    form = AppLockForm(minutes=MINUTES, mfa_on=True, required_on=False)
    assert isinstance(form.renderer, WidgetWriter)


def test_every_widget_of_the_form_is_written_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """A template name the writer misspelt would fall back to Django and still compare
    equal: here Django's renderer is not allowed to run at all."""

    def refuse(self: object, template_name: str, *args: object, **kwargs: object) -> str:
        raise AssertionError(f"{template_name} went to Django's templates")

    monkeypatch.setattr(DjangoTemplates, "render", refuse)
    for data, options in STATES:
        form = AppLockForm(data, minutes=MINUTES, renderer=WidgetWriter(), **options)
        # What the security page renders: each field but the radio list, each radio alone.
        shown = [str(form[name]) for name in form.fields if name != "unlock_method"]
        shown += [str(radio.tag()) for radio in form["unlock_method"]]
        assert "<select" in "".join(shown) and 'type="radio"' in "".join(shown)
