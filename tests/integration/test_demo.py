"""`make demo` (examples/portal/demo.py): CareKey and the example portal side by side; the
example's "Sign in" leads to CareKey's authorization endpoint, and a second start reuses
the client it registered (its credentials kept 0600 in the data dir)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.integration.test_serve import NoRedirect, free_port

ROOT = Path(__file__).resolve().parents[2]


def run_demo(tmp_path: Path, carekey_port: int, portal_port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREKEY_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        CAREKEY_DATA_DIR=str(tmp_path / "data"),
        DEMO_CAREKEY_PORT=str(carekey_port),
        DEMO_PORTAL_PORT=str(portal_port),
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, "examples/portal/demo.py"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_for_line(process: subprocess.Popen[str], text: str, seconds: float = 90) -> str:
    seen = []
    deadline = time.monotonic() + seconds
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        if text in line:
            return "".join(seen)
        if process.poll() is not None:
            break
    raise AssertionError("".join(seen))


def still_running(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://localhost:{port}/", timeout=2)
    except OSError:
        return False
    return True


def test_make_demo_serves_both_and_the_example_signs_in_through_carekey(tmp_path: Path) -> None:
    carekey_port, portal_port = free_port(), free_port()
    for _start in range(2):  # the second start finds its client already registered
        demo = run_demo(tmp_path, carekey_port, portal_port)
        try:
            output = wait_for_line(demo, "Example portal:")
            assert f"http://localhost:{carekey_port}/portal/" in output
            opener = urllib.request.build_opener(NoRedirect)
            location = ""
            try:
                opener.open(f"http://localhost:{portal_port}/login", timeout=10)
            except urllib.error.HTTPError as redirect:
                location = redirect.headers["Location"]
            assert location.startswith(f"http://localhost:{carekey_port}/o/authorize/")
            assert "code_challenge_method=S256" in location
        finally:
            demo.terminate()
            demo.wait(timeout=60)
            assert not still_running(portal_port), "the example outlived make demo"
    saved = tmp_path / "data" / "demo-client.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
