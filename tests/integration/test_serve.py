"""`carekey serve` as `make run` uses it: migrations, demo patient, gunicorn, static files."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    port = free_port()
    env = {
        **os.environ,
        "CAREKEY_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/carekey.sqlite3",
        "CAREKEY_BIND": f"127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "carekey", "serve", "--workers", "1"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/portal/signin", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)  # not up yet, or a first answer slower than 2 s on a busy host
        else:
            pytest.fail("carekey serve did not answer: " + (tmp_path / "serve.log").read_text())
        output = (tmp_path / "serve.log").read_text()
        email = re.search(r"email:\s+(\S+)", output)
        password = re.search(r"password:\s+(\S+)", output)
        assert email and password, output
        assert "OpenID Connect issuer http://localhost:8000" in output, output
        yield base, email.group(1), password.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_make_run_serves_and_the_demo_credentials_sign_in(served: tuple[str, str, str]) -> None:
    base, email, password = served
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(base + "/portal/security")
    assert redirect.value.code == 302
    assert redirect.value.headers["Location"] == "/portal/signin?next=%2Fportal%2Fsecurity"

    form = opener.open(base + "/portal/signin?next=%2Fportal%2Fsecurity").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token
    data = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "email": email,
            "password": password,
            "next": "/portal/security",
        }
    ).encode()
    with pytest.raises(urllib.error.HTTPError) as signed_in:
        opener.open(base + "/portal/signin", data)
    assert signed_in.value.code == 302
    assert signed_in.value.headers["Location"] == "/portal/security"
    page = opener.open(base + "/portal/security").read().decode()
    assert "Security settings" in page
    assert opener.open(base + "/static/carekey/site.css").status == 200


def test_demo_patient_is_printed_only_once(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CAREKEY_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/carekey.sqlite3",
    }
    code = (
        "import django, sys; from django.core.management import call_command;"
        "django.setup(); from carekey.accounts.management.commands.serve import Command;"
        "call_command('migrate', verbosity=0); c = Command();"
        "[c.ensure_demo_patient() for _ in range(2)]"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "carekey.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.count("password:") == 1
