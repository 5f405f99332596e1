"""A readable name for a device, from its user agent ("Firefox on Windows")."""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import gettext as _
from user_agents import parse


@lru_cache(maxsize=1024)
def describe(user_agent: str) -> str:
    if not user_agent.strip():
        return _("Unknown device")
    agent = parse(user_agent)
    browser = agent.browser.family if agent.browser.family != "Other" else _("Unknown browser")
    system = agent.os.family if agent.os.family != "Other" else ""
    return (
        _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
        if system
        else browser
    )
