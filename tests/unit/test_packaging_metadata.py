"""Packaging metadata that installs without warnings (issue 17, item 10)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_license_is_an_spdx_expression_setuptools_reads_without_deprecation() -> None:
    """A `license = {text = ...}` table made setuptools print its project.license
    deprecation on every install (three times per `make run`); PEP 639's SPDX string,
    read by setuptools 77 and newer, does not."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    license_expression = project["project"]["license"]
    assert isinstance(license_expression, str)
    assert re.fullmatch(
        r"[A-Za-z0-9.+-]+(-only|-or-later)?|LicenseRef-[A-Za-z0-9.-]+", license_expression
    )
    requires = project["build-system"]["requires"]
    floor = next(r for r in requires if r.startswith("setuptools"))
    assert re.fullmatch(r"setuptools>=(\d+)", floor) and int(floor.split(">=")[1]) >= 77
    assert "License ::" not in " ".join(project["project"].get("classifiers", []))
