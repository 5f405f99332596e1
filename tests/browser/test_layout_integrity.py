"""Layout integrity on every state of test_small_screens.py (and the Security page in
Spanish), at 1280 and 375 px (issue 17):

- no text in a table cell or a button is broken mid-word: each word (a run of characters
  between spaces and hyphens, where a line may break) lies on one line of the rendered text,
  measured with a DOM Range over the word;
- no two controls (links, buttons, fields) overlap: each line box of each visible control,
  against each line box of every other.

A failure names the state, the width, the element and the word or the two controls.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.test_accessibility import MakePatient, State, lock_warning, security_in_spanish
from tests.browser.test_small_screens import MAIN_STATES

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

WIDTHS = {1280: 900, 375: 800}
# Spanish words are longer: the factor table broke "Verificad/a" at 1280 px in Spanish first.
STATES: dict[str, State] = {**MAIN_STATES, "security-in-spanish": security_in_spanish}

# Helpers shared by the checks below: what a person can see, and how to name an element.
PAGE_HELPERS = """
window.__layout = {
  visible(el) {
    if (!el.isConnected || el.closest("[hidden], .visually-hidden, [inert]")) { return false; }
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") { return false; }
    const box = el.getBoundingClientRect();
    return box.width > 1 && box.height > 1 && box.right > 0 && box.bottom > 0;
  },
  name(el) {
    const text = (el.getAttribute("aria-label") || el.textContent || el.value || "")
      .trim().replace(/\\s+/g, " ").slice(0, 50);
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${text}"`;
  },
  // Inside an open modal dialog, only its controls are reachable: the page behind is inert.
  scope() { return document.querySelector("dialog[open]:modal") || document.body; },
};
"""

# Words: runs of characters between the places a line may break without splitting a word.
BROKEN_WORDS = """() => {
  const L = window.__layout;
  const WORD = /[^\\s\\-\\u2010-\\u2014]+/g;
  const found = [];
  const holders = L.scope().querySelectorAll(
    "th, td, button, a.button, [role=button], input[type=submit], input[type=button]");
  for (const holder of holders) {
    if (!L.visible(holder)) { continue; }
    const walker = document.createTreeWalker(holder, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement || !L.visible(node.parentElement)) { continue; }
      for (const match of node.data.matchAll(WORD)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set();
        for (const rect of range.getClientRects()) {
          if (rect.width > 0 && rect.height > 0) { tops.add(Math.round(rect.top)); }
        }
        if (tops.size > 1) {
          found.push(`"${match[0]}" in ${L.name(holder)} spans ${tops.size} lines`);
        }
      }
    }
  }
  return found;
}"""

OVERLAPPING_CONTROLS = """() => {
  const L = window.__layout;
  const controls = [...L.scope().querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]"
  )].filter((el) => L.visible(el));
  const boxes = controls.map((el) =>
    [...el.getClientRects()].filter((r) => r.width > 1 && r.height > 1));
  const found = [];
  const EPSILON = 0.5;
  for (let i = 0; i < controls.length; i++) {
    for (let j = i + 1; j < controls.length; j++) {
      const [a, b] = [controls[i], controls[j]];
      if (a.contains(b) || b.contains(a)) { continue; }
      const hit = boxes[i].some((p) => boxes[j].some((q) =>
        Math.min(p.right, q.right) - Math.max(p.left, q.left) > EPSILON
        && Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > EPSILON));
      if (hit) { found.push(`${L.name(a)} overlaps ${L.name(b)}`); }
    }
  }
  return found;
}"""


def layout_problems(page: Page, state: str) -> list[str]:
    problems = []
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done(null)))")
        page.evaluate(PAGE_HELPERS)
        broken: list[str] = page.evaluate(BROKEN_WORDS)
        overlapping: list[str] = page.evaluate(OVERLAPPING_CONTROLS)
        problems += [f"{state} at {width} px: word broken: {item}" for item in broken]
        problems += [f"{state} at {width} px: {item}" for item in overlapping]
    return problems


@pytest.mark.parametrize("state", list(STATES))
def test_no_word_broken_mid_word_and_no_controls_overlapping(
    page: Page, make_patient: MakePatient, state: str
) -> None:
    STATES[state](page, make_patient)
    problems = layout_problems(page, state)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_the_checks_catch_a_word_broken_mid_letter_and_two_overlapping_buttons(
    page: Page,
) -> None:
    """The two checks themselves: a squeezed cell and a button laid over another fail."""
    page.set_content(
        """<table style="width: 60px; overflow-wrap: anywhere"><tr><th>Status</th>
        <td>Verified</td></tr></table>
        <div style="position: relative; height: 60px">
          <button style="position: absolute; left: 0; top: 0">First</button>
          <button style="position: absolute; left: 10px; top: 5px">Second</button>
        </div>"""
    )
    problems: Any = layout_problems(page, "sample")
    text = "\n".join(problems)
    assert '"Status" in th' in text or '"Verified" in td' in text, text
    assert 'button "First" overlaps button "Second"' in text, text


def test_the_lock_warning_heading_starts_at_the_dialogs_padding(
    page: Page, make_patient: MakePatient, fast_password_hashing: None
) -> None:
    """Seen in the screenshots: an empty band above the heading (its own top margin)."""
    lock_warning(page, make_patient)
    gap = page.evaluate(
        """() => {
            const dialog = document.querySelector('dialog[open]');
            const style = getComputedStyle(dialog);
            const inner = dialog.getBoundingClientRect().top
                + parseFloat(style.borderTopWidth) + parseFloat(style.paddingTop);
            return dialog.querySelector('h2').getBoundingClientRect().top - inner;
        }"""
    )
    assert abs(gap) < 1, gap
