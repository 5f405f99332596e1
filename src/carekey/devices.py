"""A readable name for a device, from its user agent ("Firefox on Windows")."""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import gettext as _
from user_agents import parse


@lru_cache(maxsize=1024)
def _families(user_agent: str) -> tuple[str, str]:
    """(browser, system) as the parser names them; cached, as parsing is the slow part."""
    agent = parse(user_agent)
    return agent.browser.family, agent.os.family


def describe(user_agent: str) -> str:
    """Translated at each call, so each reader gets their own language."""
    if not user_agent.strip():
        return _("Unknown device")
    browser_family, system_family = _families(user_agent)
    browser = browser_family if browser_family != "Other" else _("Unknown browser")
    system = system_family if system_family != "Other" else ""
    return (
        _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
        if system
        else browser
    )
