"""Data at rest on the host: the data dir is 0700 and every file in it 0600.

Through the real console script (`make run` is `carekey serve`), in development and in
production with the default SQLite database, because the files come from several writers
(settings import writes the development keys, `migrate` and the gunicorn worker create
the database and its -wal/-shm files) and each must end up private.
"""

from __future__ import annotations

import http.client
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.integration.test_cli import OIDC_KEY, clean_environ
from tests.integration.test_serve import free_port

PRODUCTION_KEYS = {
    "CAREKEY_ENV": "production",
    "CAREKEY_SECRET_KEY": Fernet.generate_key().decode() + Fernet.generate_key().decode(),
    "CAREKEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "CAREKEY_ALLOWED_HOSTS": "127.0.0.1",
    "CAREKEY_OIDC_PRIVATE_KEY": OIDC_KEY,
}


def answers(port: int) -> bool:
    """True once the server answers HTTP at all (production answers 301 to HTTPS)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/portal/signin")
        return connection.getresponse().status in {200, 301}
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def serving(data_dir: Path, log: Path, extra: dict[str, str]) -> Iterator[None]:
    """Run `carekey serve` until it answers, then stop it; DATABASE_URL stays unset."""
    port = free_port()
    env = {k: v for k, v in clean_environ().items() if k != "DATABASE_URL"}
    env.update(CAREKEY_DATA_DIR=str(data_dir), CAREKEY_BIND=f"127.0.0.1:{port}", **extra)
    carekey = Path(sys.executable).with_name("carekey")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(carekey), "serve", "--workers", "1"], stdout=out, stderr=subprocess.STDOUT, env=env
        )
        try:
            deadline = time.monotonic() + 60
            while not answers(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("carekey serve did not answer: " + log.read_text())
                time.sleep(0.2)
            yield
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def modes(data_dir: Path) -> dict[str, int]:
    """Permission bits of the data dir ('.') and of everything under it."""
    found = {".": stat.S_IMODE(data_dir.stat().st_mode)}
    for path in data_dir.rglob("*"):
        found[str(path.relative_to(data_dir))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def assert_private(data_dir: Path, expected_files: set[str]) -> None:
    found = modes(data_dir)
    assert expected_files <= set(found), found
    assert found.pop(".") == 0o700, oct(stat.S_IMODE(data_dir.stat().st_mode))
    assert {name: oct(mode) for name, mode in found.items() if mode != 0o600} == {}


@pytest.mark.parametrize(
    ("extra", "expected_files"),
    [
        ({}, {"carekey.sqlite3", "secret_key", "encryption.key"}),
        (PRODUCTION_KEYS, {"carekey.sqlite3"}),
    ],
    ids=["development", "production"],
)
def test_serve_on_a_fresh_data_dir_keeps_it_private(
    tmp_path: Path, extra: dict[str, str], expected_files: set[str]
) -> None:
    data_dir = tmp_path / "var"  # not there yet: `carekey serve` creates it
    with serving(data_dir, tmp_path / "serve.log", extra):
        assert_private(data_dir, expected_files)
    assert_private(data_dir, expected_files)


def test_an_existing_open_data_dir_and_its_files_are_tightened(tmp_path: Path) -> None:
    """A dir left 0755 with 0644 files (an older CareKey, or made by hand) is closed."""
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    old_database = data_dir / "carekey.sqlite3"
    old_database.touch()
    old_database.chmod(0o644)
    result = subprocess.run(
        [sys.executable, "-m", "carekey", "migrate"],
        env={
            **{k: v for k, v in clean_environ().items() if k != "DATABASE_URL"},
            "CAREKEY_DATA_DIR": str(data_dir),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert_private(data_dir, {"carekey.sqlite3", "secret_key", "encryption.key"})
