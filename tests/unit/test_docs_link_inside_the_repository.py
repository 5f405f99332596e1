"""Every Markdown file links only to files the repository has (issue 17, item 10).

The README used to send readers to `../shared/CONTRACT.md` and `ARCHITECTURE.md`, which a
clone of the repository does not have. Every relative link, and every `*.md` path written
in backticks, must name a file inside the repository that exists, and a `#section` of a
Markdown file must be one of its headings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.M)
BACKTICKED_MD = re.compile(r"`([^`\s]*\.md(?:#[^`\s]*)?)`")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
EXTERNAL = ("http://", "https://", "mailto:", "data:")


def markdown_files() -> list[Path]:
    """The repository's Markdown files: tracked or new, never ignored ones (.venv, caches)."""
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        listed = subprocess.run(
            [git, "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        return sorted(ROOT / name for name in listed if (ROOT / name).is_file())
    skip = {".git", ".venv", "node_modules", ".cache"}
    return sorted(p for p in ROOT.rglob("*.md") if not skip & set(p.relative_to(ROOT).parts))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation gone, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    prose = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(h) for h in HEADING.findall(prose)}


def targets(path: Path) -> list[str]:
    """Relative link targets, and `*.md` paths in backticks (marked with a leading "`")."""
    prose = FENCE.sub("", path.read_text(encoding="utf-8"))
    found = LINK.findall(prose) + REFERENCE.findall(prose)
    found += ["`" + t for t in BACKTICKED_MD.findall(prose)]
    return [t for t in found if not t.lstrip("`").startswith(EXTERNAL)]


def problem(source: Path, target: str) -> str | None:
    """Why `target`, written in `source`, is not a file of this repository (None if it is).

    A link is relative to its file; a path in backticks may also be written from the
    repository's root, as code references are.
    """
    name, _, section = target.lstrip("`").partition("#")
    file = (source.parent / name).resolve() if name else source
    from_root = (ROOT / name).resolve()
    if target.startswith("`") and not file.exists() and from_root.is_relative_to(ROOT):
        file = from_root
    if not file.is_relative_to(ROOT):
        return "points outside the repository"
    if not file.exists():
        return "names a file the repository does not have"
    if section and file.suffix == ".md" and section not in anchors(file):
        return f"names a section {file.name} does not have"
    return None


FILES = markdown_files()


def test_the_scan_finds_the_readme_and_the_docs() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in FILES}
    assert {"README.md", "DEVELOPERS.md", "docs/contract.md", "docs/architecture.md"} <= names


@pytest.mark.parametrize("source", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_name_files_inside_the_repository(source: Path) -> None:
    broken = [(t, why) for t in targets(source) if (why := problem(source, t))]
    assert broken == [], broken


def test_the_readme_leads_to_the_contract_and_the_architecture() -> None:
    readme = targets(ROOT / "README.md")
    assert "docs/contract.md" in readme and "docs/architecture.md" in readme


def test_the_checker_catches_what_it_is_for(tmp_path: Path) -> None:
    source = ROOT / "README.md"
    assert problem(source, "../shared/CONTRACT.md") == "points outside the repository"
    assert problem(source, "`../shared/CONTRACT.md") == "points outside the repository"
    assert problem(ROOT / "docs" / "contract.md", "`docs/deployment.md") is None
    assert problem(ROOT / "docs" / "contract.md", "docs/deployment.md") is not None
    assert problem(source, "docs/missing.md") == "names a file the repository does not have"
    assert problem(source, "docs/contract.md#no-such-part") is not None
    assert problem(source, "docs/contract.md#4-security-rules") is None
    assert slug("3. JSON API, under `/api/v1`") == "3-json-api-under-apiv1"
