"""WSGI entry point for gunicorn (`carekey serve`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carekey.settings")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def served_at_root(app: WsgiApp) -> WsgiApp:
    """Undo any SCRIPT_NAME the server took from a request header.

    Gunicorn strips a client-sent SCRIPT_NAME off the path when the peer is "trusted"
    (127.0.0.1 by default). CareKey is always mounted at the root, so the prefix goes back
    onto the path: `/x/portal/security` is then what it looks like, a page that does not
    exist, instead of a route the access gate did not recognise.
    """

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        prefix = environ.get("SCRIPT_NAME", "")
        if prefix:
            environ["PATH_INFO"] = prefix.rstrip("/") + environ.get("PATH_INFO", "")
            environ["SCRIPT_NAME"] = ""
        return app(environ, start_response)

    return application


application = served_at_root(get_wsgi_application())
