"""`{% url 'name' %}` for a fixed route, reversed once per URL configuration.

Django's URLNode reverses on every render; the security page has about ten fixed routes
("Add a passkey", "Change password", the layout's sign-out...), each a resolver walk per
load (issue 18). A tag naming a route by a literal, with no arguments, no `as`, and no
namespace (so no current app can change it) always gives the same URL for the same
script prefix and URL configuration: this node remembers it under both. Every other
form is Django's node, unchanged. Load it after Django's builtins: `{% load fast_url %}`.
tests/integration/test_fast_url.py compares every `{% url %}` of our templates both ways.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()
REMEMBERED_CONFIGURATIONS = 8


class FixedURLNode(URLNode):
    def __init__(self, node: URLNode, name: str) -> None:
        super().__init__(node.view_name, node.args, node.kwargs, node.asvar)
        self.name = name
        self.reversed: dict[tuple[str, Any], str] = {}

    def render(self, context: template.Context) -> str:
        configuration = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
        url = self.reversed.get(configuration)
        if url is None:
            if len(self.reversed) >= REMEMBERED_CONFIGURATIONS:
                self.reversed.clear()  # prefixes come from settings (FORCE_SCRIPT_NAME): few
            url = self.reversed[configuration] = reverse(self.name)
        return conditional_escape(url) if context.autoescape else url


def _fixed_name(node: URLNode) -> str | None:
    """The route's name when the tag can only ever give one URL per configuration."""
    if node.args or node.kwargs or node.asvar or node.view_name.filters:
        return None
    expression: Any = node.view_name
    name = expression.var  # a quoted name is parsed into the string itself
    if expression.is_var or not isinstance(name, str) or ":" in name:
        return None
    return str(name)


@register.tag("url")
def url(parser: Parser, token: Token) -> URLNode:
    node = django_url(parser, token)
    name = _fixed_name(node)
    return node if name is None else FixedURLNode(node, name)
