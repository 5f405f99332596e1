"""axe-core in a real page: the copy scripts/install-axe.sh put in .cache/axe, served locally.

The script reaches the page from the page's own origin: a Playwright route answers one
same-origin URL with the local file, so the pages' strict Content-Security-Policy
(`script-src 'self'`, `style-src 'self'`) stays on and axe judges exactly what a patient
gets. (A context with `bypass_csp=True` would also let the page's own inline styles and
scripts through, if it ever had any, and axe would then judge a page nobody sees.) Nothing
is ever fetched from a CDN: a request for the URL below never leaves the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Route

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/__carekey-tests__/axe.min.js"

# WCAG 2.1, levels A and AA: the rules the issue names, nothing best-practice or AAA.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN_AXE = """async (tags) => {
  const result = await window.axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target,
      html: n.html,
      summary: n.failureSummary,
    })),
  }));
}"""


def axe_script() -> Path:
    require(
        AXE_JS.is_file(),
        f"{AXE_JS.relative_to(ROOT)} is missing (run scripts/install-axe.sh; make test does)",
    )
    return AXE_JS


def load_axe(page: Page) -> None:
    """Put axe-core into the current document, from the local copy, through 'self'."""
    if page.evaluate("() => typeof window.axe === 'object'"):
        return
    script = axe_script()

    def serve(route: Route) -> None:
        route.fulfill(path=str(script), content_type="text/javascript; charset=utf-8")

    page.route(f"**{AXE_URL}", serve)
    try:
        page.add_script_tag(url=AXE_URL)
    finally:
        page.unroute(f"**{AXE_URL}", serve)
    assert page.evaluate("() => typeof window.axe.run === 'function'"), "axe-core did not load"


def run_axe(page: Page) -> list[dict[str, Any]]:
    """The WCAG 2.1 A and AA violations on the page as it is now (all impacts)."""
    load_axe(page)
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, WCAG_21_AA)
    return violations


def describe(violations: list[dict[str, Any]], nodes_per_rule: int = 3) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:nodes_per_rule]:
            lines.append(f"    at {node['target']}: {node['html']}")
            summary = [part.strip() for part in (node.get("summary") or "").splitlines()]
            if any(summary):
                lines.append("      " + " ".join(part for part in summary if part))
        hidden = len(v["nodes"]) - nodes_per_rule
        if hidden > 0:
            lines.append(f"    … and {hidden} more element(s)")
    return "\n".join(lines)
