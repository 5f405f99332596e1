"""Reading rendered portal and admin pages: sections, visible text, elements, live regions.

Shared by the page tests so each file can be named for the behaviour it specifies rather
than for the helpers it happens to define.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.test import Client

from tests.conftest import PASSWORD

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def sign_in_page(client: Client, email: str) -> None:
    response = client.post("/portal/signin", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.content


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by the given heading id."""
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, flags=re.S)
    assert match, f"no section labelled by {heading_id}"
    return match.group(1)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def result_rows(html: str) -> list[str]:
    """The rows of a Django admin change list."""
    table = re.search(r'<table id="result_list".*?</table>', html, flags=re.S)
    assert table, "no result list on the page"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(0), flags=re.S)
    return re.findall(r"<tr.*?</tr>", body.group(1), flags=re.S) if body else []


class Elements(HTMLParser):
    """Every element's tag, attributes and text content (its descendants' text included)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str], list[str]]] = []
        self.open: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}, []))
        if tag not in VOID:
            self.open.append(len(self.found) - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}, []))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, -1, -1):
            if self.found[self.open[depth]][0] == tag:
                del self.open[depth:]
                break

    def handle_data(self, data: str) -> None:
        for index in self.open:
            self.found[index][2].append(data)


def elements(html: str) -> list[tuple[str, dict[str, str], str]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return [(t, a, re.sub(r"\s+", " ", "".join(text)).strip()) for t, a, text in parser.found]


def live_region_texts(html: str) -> list[str]:
    """The text inside every element a screen reader announces when it changes."""
    return [
        text
        for _tag, attrs, text in elements(html)
        if attrs.get("role") in {"status", "alert"}
        or attrs.get("aria-live") in {"polite", "assertive"}
    ]
