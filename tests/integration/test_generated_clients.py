"""Clients generated from /api/v1/openapi.json work (issue 17 item 13): a TypeScript client
made by openapi-typescript type-checks with `tsc --noEmit --strict` against a hand-written
usage file (clients/usage.ts), and a Python client made by openapi-python-client signs in,
enrolls an authenticator app and verifies it against a live server.

The npm tools are pinned in scripts/openapi-tools/package-lock.json and installed on first
use by scripts/install-openapi-tools.sh; openapi-python-client comes with the `test` extra.
Without them the tests skip on a laptop and fail under CI=true.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from django.test import Client

from carekey.accounts.models import User
from tests.conftest import PASSWORD, require
from tests.mfa_helpers import code_now, wrong_code

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".cache" / "openapi-tools" / "node_modules"
USAGE = Path(__file__).parent / "clients" / "usage.ts"
PACKAGE = "carekey_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
GENERATOR_CONFIG = (
    f"project_name_override: carekey-client\npackage_name_override: {PACKAGE}\npost_hooks: []\n"
)


def run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{command[0]} failed:\n{output}"
    return output


def npm_tools() -> Path:
    require(shutil.which("npm") is not None, "npm is missing (apt-get install npm)")
    run(["sh", str(ROOT / "scripts" / "install-openapi-tools.sh")], ROOT)
    require((TOOLS / ".bin" / "tsc").exists(), "scripts/install-openapi-tools.sh installed nothing")
    return TOOLS


def save_document(text: str, folder: Path) -> Path:
    document = json.loads(text)
    assert document["openapi"].startswith("3.")
    path = folder / "openapi.json"
    path.write_text(text)
    return path


@pytest.mark.django_db
def test_the_generated_typescript_client_type_checks_strictly(tmp_path: Path) -> None:
    tools = npm_tools()
    answer = Client().get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document = save_document(answer.content.decode(), tmp_path)
    (tmp_path / "node_modules").symlink_to(tools, target_is_directory=True)
    shutil.copy(USAGE, tmp_path / "usage.ts")
    bin_dir = tools / ".bin"
    run([str(bin_dir / "openapi-typescript"), str(document), "-o", "carekey.ts"], tmp_path)
    assert 'ErrorCode: "' in (tmp_path / "carekey.ts").read_text()
    strict = ["--noEmit", "--strict", "--target", "es2022", "--module", "esnext"]
    strict += ["--moduleResolution", "bundler", "--lib", "es2022,dom"]
    run([str(bin_dir / "tsc"), *strict, "usage.ts", "carekey.ts"], tmp_path)


@pytest.fixture
def generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A function that generates the Python client from a document's text and imports it."""
    require(GENERATOR.exists(), "openapi-python-client is missing (pip install -e '.[test]')")

    def generate(text: str) -> Any:
        document = save_document(text, tmp_path)
        config = tmp_path / "generator.yaml"
        config.write_text(GENERATOR_CONFIG)
        output = run(
            [
                str(GENERATOR),
                "generate",
                f"--path={document}",
                f"--output-path={tmp_path / PACKAGE}",
                "--meta=none",
                f"--config={config}",
            ],
            tmp_path,
        )
        said = [line for line in output.splitlines() if not line.startswith("Generating ")]
        assert not any(w in line.lower() for line in said for w in ("warning", "error")), output
        monkeypatch.syspath_prepend(str(tmp_path))
        return importlib.import_module(PACKAGE)

    yield generate
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


class Driver:
    """The generated client as an app would hold it: one cookie jar, the CSRF header."""

    def __init__(self, base_url: str) -> None:
        self.package = importlib.import_module(PACKAGE)
        self.client = self.package.Client(base_url=base_url, raise_on_unexpected_status=True)
        self.http = self.client.get_httpx_client()

    def call(self, module: str, **kwargs: Any) -> Any:
        """Call one operation by its module (its operationId), CSRF header refreshed."""
        token = self.http.cookies.get("csrftoken")
        if token:
            self.http.headers["X-CSRFToken"] = token
        operation = importlib.import_module(f"{PACKAGE}.api.{module}")
        return operation.sync_detailed(client=self.client, **kwargs)

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


@pytest.mark.django_db(transaction=True)
def test_the_generated_python_client_signs_in_enrolls_and_verifies(
    live_server: Any, generated: Any
) -> None:
    patient = User.objects.create_user("gen@example.org", PASSWORD, name="Gen Client")
    with urllib.request.urlopen(f"{live_server.url}/api/v1/openapi.json", timeout=30) as answer:
        generated(answer.read().decode())
    app = Driver(live_server.url)
    error_out, error_code = app.model("ErrorOut"), app.model("ErrorCode")

    anonymous = app.call("session.get_session")
    assert anonymous.status_code == 401 and isinstance(anonymous.parsed, error_out)
    assert anonymous.parsed.error.code == error_code.NOT_AUTHENTICATED

    refused = app.call("session.sign_in", body=app.model("SignInIn")(patient.email, "wrong"))
    assert (refused.status_code, refused.parsed.error.code) == (401, "invalid_credentials")
    signed_in = app.call("session.sign_in", body=app.model("SignInIn")(patient.email, PASSWORD))
    assert signed_in.status_code == 200
    assert (signed_in.parsed.user.email, signed_in.parsed.aal) == (patient.email, "aal1")

    enrolled = app.call("mfa.enroll_factor", body=app.model("EnrollIn")("totp", "Phone"))
    assert enrolled.status_code == 201
    factor_id, secret = enrolled.parsed.id, enrolled.parsed.totp.secret
    assert isinstance(factor_id, UUID) and enrolled.parsed.status == "unverified"

    verify = "mfa.verify_factor"
    missed = app.call(verify, factor_id=factor_id, body=app.model("CodeIn")(wrong_code(secret)))
    assert missed.status_code == 422
    assert missed.parsed.error.code == error_code.MFA_VERIFICATION_FAILED
    verified = app.call(verify, factor_id=factor_id, body=app.model("CodeIn")(code_now(secret)))
    assert verified.status_code == 200, verified.content
    assert verified.parsed.id == factor_id and verified.parsed.status == "verified"
    assert len(verified.parsed.recovery_codes) == 10

    session = app.call("session.get_session").parsed
    assert (session.aal, session.next_level) == ("aal2", "aal2")
    factors = app.call("mfa.list_factors").parsed.factors
    assert [(f.id, f.friendly_name, f.status) for f in factors] == [
        (factor_id, "Phone", "verified")
    ]
    signed_out = app.call("session.sign_out")
    assert signed_out.status_code == 204 and "content-type" not in signed_out.headers
    assert app.call("session.get_session").status_code == 401


def test_the_npm_tools_are_pinned_exactly() -> None:
    lock = json.loads((ROOT / "scripts" / "openapi-tools" / "package-lock.json").read_text())
    wanted = json.loads((ROOT / "scripts" / "openapi-tools" / "package.json").read_text())
    for name, version in wanted["dependencies"].items():
        assert version[0].isdigit(), f"{name}: pin an exact version, not {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    for path, package in lock["packages"].items():
        if path:
            assert package["integrity"].startswith("sha512-"), path
    assert os.access(ROOT / "scripts" / "install-openapi-tools.sh", os.R_OK)
