"""`make demo`: CareKey and the example portal side by side (ports 8000 and 8001).

Registers the example as a client once (its credentials kept in the data dir, mode 0600),
starts `carekey serve` and the example, prints both addresses, and stops both on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CAREKEY_PORT = int(os.environ.get("DEMO_CAREKEY_PORT", "8000"))
PORTAL_PORT = int(os.environ.get("DEMO_PORTAL_PORT", "8001"))
DATA_DIR = Path(os.environ.get("CAREKEY_DATA_DIR", "var")).resolve()
CAREKEY = [sys.executable, "-m", "carekey"]


def client_credentials(env: dict[str, str]) -> dict[str, str]:
    saved = DATA_DIR / "demo-client.json"
    if saved.exists():
        return dict(json.loads(saved.read_text()))
    subprocess.run([*CAREKEY, "migrate", "--verbosity", "0"], env=env, check=True)
    portal = f"http://localhost:{PORTAL_PORT}"
    printed = subprocess.run(
        [*CAREKEY, "createclient", "Example portal", "--redirect-uri", f"{portal}/callback",
         "--post-logout-redirect-uri", f"{portal}/", "--skip-consent"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    saved.write_text(printed)
    saved.chmod(0o600)
    return dict(json.loads(printed))


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def main() -> None:
    # A plain SIGTERM (a service manager, a test) stops both servers, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    carekey_url = f"http://localhost:{CAREKEY_PORT}"
    env = {**os.environ, "CAREKEY_PUBLIC_URL": carekey_url, "CAREKEY_DATA_DIR": str(DATA_DIR)}
    credentials = client_credentials(env)
    bind = ["--bind", f"127.0.0.1:{CAREKEY_PORT}"]
    carekey = subprocess.Popen([*CAREKEY, "serve", *bind], env=env)
    portal = None
    try:
        wait_for(f"{carekey_url}/.well-known/openid-configuration")
        portal = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("app.py")), "--carekey", carekey_url,
             "--port", str(PORTAL_PORT), "--client-id", credentials["client_id"],
             "--client-secret", credentials["client_secret"]],
        )  # fmt: skip
        wait_for(f"http://localhost:{PORTAL_PORT}/")
        print(f"\nCareKey:         {carekey_url}/portal/")
        print(
            f"Example portal:  http://localhost:{PORTAL_PORT}/   (Ctrl-C stops both)\n", flush=True
        )
        carekey.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in (portal, carekey):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
