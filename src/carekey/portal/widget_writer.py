"""A form renderer that writes Django's simplest widget templates in Python.

The security page's app-lock form (a checkbox, a "Lock after" list and two radio
buttons) took a tenth of the page's time in Django's widget templates: each option is an
include of an include, each attribute a loop step (issue 18). The writers below produce
the same markup as Django's own templates (django/forms/templates/django/forms/widgets/),
from the same widget context, so every attribute Django's form and bound field add
(`aria-invalid`, `aria-describedby`, `checked`, `required`) is written as it was; any
other template goes to Django's renderer. tests/integration/test_widget_writer.py
renders each state of the form both ways and compares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import mark_safe

Widget = Mapping[str, Any]


def _attrs(widget: Widget) -> str:
    """attrs.html: ` name="value"` each, a bare ` name` for True, nothing for False."""
    parts = []
    for name, value in widget["attrs"].items():
        if value is True:
            parts.append(format_html(" {}", name))
        elif value is not False:
            parts.append(format_html(' {}="{}"', name, str(value)))
    return "".join(parts)


def _input(widget: Widget) -> str:
    """input.html; each template's own final newline is kept, as Django's output has it."""
    value = widget.get("value")
    shown = "" if value is None else format_html(' value="{}"', str(value))
    return format_html(
        '<input type="{}" name="{}"{}{}>\n',
        widget["type"],
        widget["name"],
        mark_safe(shown),  # noqa: S308 - built by format_html above
        mark_safe(_attrs(widget)),  # noqa: S308 - built by format_html
    )


def _input_option(widget: Widget) -> str:
    """input_option.html: the input, or a label around it and its text."""
    field = mark_safe(_input(widget))  # noqa: S308 - built by format_html
    if not widget.get("wrap_label"):
        return field + "\n"
    target = widget["attrs"].get("id")
    opening = format_html('<label for="{}">', target) if target else mark_safe("<label>")
    return format_html("{}{} {}</label>\n", opening, field, widget["label"])


def _option(widget: Widget) -> str:
    """select_option.html."""
    return format_html(
        '<option value="{}"{}>{}</option>\n',
        str(widget["value"]),
        mark_safe(_attrs(widget)),  # noqa: S308 - built by format_html
        widget["label"],
    )


def _select(widget: Widget) -> str:
    """select.html, with its whitespace: a newline and two spaces before each option."""
    attrs = mark_safe(_attrs(widget))  # noqa: S308 - built by format_html
    parts: list[str] = [format_html('<select name="{}"{}>', widget["name"], attrs)]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        parts.extend("\n  " + _option(option) for option in options)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)


# Each template as Django's files write it: checkbox.html and radio_option.html only
# include another template, and add their own final newline.
_WRITERS: dict[str, Callable[[Widget], str]] = {
    "django/forms/widgets/input.html": _input,
    "django/forms/widgets/checkbox.html": lambda widget: _input(widget) + "\n",
    "django/forms/widgets/input_option.html": _input_option,
    "django/forms/widgets/radio_option.html": lambda widget: _input_option(widget) + "\n",
    "django/forms/widgets/select_option.html": _option,
    "django/forms/widgets/select.html": _select,
}


class WidgetWriter(DjangoTemplates):
    """Django's default renderer, less the template machinery for the widgets above."""

    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        write = _WRITERS.get(template_name)
        if write is None:
            return super().render(template_name, context, request)
        # Stripped, as Django's renderer strips a rendered template.
        return mark_safe(write(context["widget"]).strip())  # noqa: S308 - values escaped above
