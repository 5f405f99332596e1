"""`{% translate "literal" %}` without the lazy string Django's node makes each time.

Django's TranslateNode wraps a literal message in a lazy translation, then forces,
localizes and escapes it on every render: about three quarters of the tag's cost, paid
some fifty times per load of the security page (issue 18). For a plain literal (no
filters, no `noop`, no `context`) this node calls gettext directly and returns what
Django's node returns: the translation marked safe (a template's own literal and its
translation are trusted), with doubled percent signs restored. Every other form of the
tag is Django's node, unchanged. Load it after `i18n`: `{% load i18n fast_i18n %}`.
tests/integration/test_fast_i18n.py renders every `{% translate %}` of our templates both
ways, in every language, and requires identical output.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Parser, Token, Variable
from django.templatetags.i18n import TranslateNode, do_translate
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


class LiteralTranslateNode(TranslateNode):
    def __init__(self, node: TranslateNode, msgid: SafeString) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        self.msgid = msgid

    def render(self, context: template.Context) -> str:
        value = mark_safe(gettext(self.msgid).replace("%%", "%"))  # noqa: S308 - as Django's
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


def _literal_msgid(node: TranslateNode) -> SafeString | None:
    """The msgid Django's node would look up, when the tag is a plain literal."""
    expression: Any = node.filter_expression
    variable = expression.var
    if node.noop or node.message_context or expression.filters:
        return None
    if not isinstance(variable, Variable) or variable.literal is None:
        return None
    if not isinstance(variable.literal, str):
        return None
    return mark_safe(variable.literal.replace("%", "%%"))  # noqa: S308 - a template literal


@register.tag("translate")
@register.tag("trans")
def translate(parser: Parser, token: Token) -> TranslateNode:
    node = do_translate(parser, token)
    msgid = _literal_msgid(node)
    return node if msgid is None else LiteralTranslateNode(node, msgid)
