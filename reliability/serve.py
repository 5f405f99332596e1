"""Start and stop one `carekey serve` on 127.0.0.1: the one copy the reliability harness and
bench/ share, so both start, wait for and end a server (gunicorn master and workers) alike.

It imports nothing beyond the standard library: bench/run.py runs as a script and puts the
repository root on sys.path to reach it, without the harness's PostgreSQL and HTTP clients.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar


class ServeError(RuntimeError):
    """The server exited before it was ready, or was not ready in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Served:
    """One `carekey serve` (gunicorn master and workers, in a process group of its own)."""

    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    def log(self) -> str:
        if not self.log_file.closed:
            self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def kill9(self) -> None:
        """A crash: SIGKILL to the master and every worker at once, mid-request or not."""
        self._signal_group(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.log_file.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(timeout=30)
        # Workers of a killed master may linger for a moment; end them by their group too.
        self._signal_group(signal.SIGKILL)
        if not self.log_file.closed:
            self.log_file.close()


S = TypeVar("S", bound=Served)


def launch(
    kind: type[S],
    python: str,
    port: int,
    workers: int,
    env: dict[str, str],
    log_path: Path,
    cwd: Path | None = None,
) -> S:
    """`python -m carekey serve` bound to 127.0.0.1:port, its output in log_path."""
    log_file = log_path.open("wb")
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [
            python,
            "-m",
            "carekey",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    return kind(port, proc, log_path, log_file)


def wait_ready(served: Served, ready: Callable[[], bool], timeout: float) -> None:
    """Poll `ready` until it holds; stop the server and raise ServeError if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            served.stop()
            raise ServeError(f"carekey serve exited early:\n{served.log()[-3000:]}")
        if ready():
            return
        time.sleep(0.2)
    served.stop()
    raise ServeError(f"carekey serve did not answer in {timeout:.0f} s:\n{served.log()[-3000:]}")
