""" "Send reset link" takes as long whether or not the email has an account (CONTRACT §7).

Issue 16, Done when: "Timing: 30 requests each for known and unknown emails; the medians
differ by less than the noise (state the figures)". Here, for the page and for the API,
30 known and 30 unknown requests interleaved (each pair in a random order), each timed
with time.perf_counter around the whole request through Django's test client.

Every known request really does the known path's work: ten patients get three requests
each (the per-account limit), so every one reserves a slot, replaces the link, writes the
audit event and renders and sends the email (mail.outbox ends with exactly 30), and every
request comes from its own address, so the per-address limit never answers instead. The
unknown emails are all different and fresh.

Noise is the larger of the two interquartile ranges, or 5 ms if that is larger: the
medians must differ by less than that, and both must be at least the padding
(CAREKEY_PASSWORD_RESET_ANSWER_SECONDS, 0.3 s by default). `pytest -s` prints the figures.

Measured on a 2-core machine, in-process (medians and interquartile ranges in ms; the
last column: rounds of one known and one unknown request where the known one was slower):

    database    face  padding  known   unknown  IQR known  IQR unknown  difference  slower
    SQLite      page  0.3 s    301.59  301.58   0.16       0.12         +0.01       16/30
    SQLite      API   0.3 s    301.83  301.87   0.49       0.41         -0.04       17/30
    PostgreSQL  page  0.3 s    301.58  301.56   0.21       0.17         +0.02       16/30
    PostgreSQL  API   0.3 s    301.69  301.69   0.33       0.32          0.00       15/30
    SQLite      page  0        2.45    0.91     0.26       0.19         +1.54       30/30
    SQLite      API   0        2.82    0.85     0.39       0.10         +1.97       30/30
    PostgreSQL  page  0        4.05    1.51     0.73       0.32         +2.55       30/30
    PostgreSQL  API   0        5.02    1.73     1.00       0.70         +3.29       30/30

With the padding the medians differ by at most 0.04 ms: below the 5 ms floor and below
either measured IQR, and the known request is slower in about half the rounds, as chance
would have it. Without it the known path's work (a throttle slot, the link, the audit
event, two rendered templates) adds 1.5 to 3.3 ms and the known request is slower in
every round: so it is the padding, not chance, that hides it. The control asserts only
that (a positive difference, the known request slower in at least 25 of 30 rounds): the
extra work is a few IQRs but less than the 5 ms floor.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection

from carekey.accounts import throttle
from carekey.accounts.models import PasswordResetLink, User
from tests.conftest import PASSWORD, ApiClient

PAIRS = 30
NOISE_FLOOR = 0.005
PADDING = 0.3
SENT = "If an account exists for that email, we sent a link to it."


@dataclass(frozen=True)
class Figures:
    known: list[float]
    unknown: list[float]

    @staticmethod
    def iqr(values: list[float]) -> float:
        q1, _q2, q3 = statistics.quantiles(values, n=4)
        return q3 - q1

    @property
    def median_known(self) -> float:
        return statistics.median(self.known)

    @property
    def median_unknown(self) -> float:
        return statistics.median(self.unknown)

    @property
    def difference(self) -> float:
        return self.median_known - self.median_unknown

    @property
    def rounds_known_slower(self) -> int:
        """Rounds (one known and one unknown request, back to back) where known took longer."""
        return sum(k > u for k, u in zip(self.known, self.unknown, strict=True))

    @property
    def noise(self) -> float:
        return max(self.iqr(self.known), self.iqr(self.unknown), NOISE_FLOOR)

    def summary(self, label: str) -> dict[str, Any]:
        ms = {
            "median_known_ms": self.median_known * 1000,
            "median_unknown_ms": self.median_unknown * 1000,
            "iqr_known_ms": self.iqr(self.known) * 1000,
            "iqr_unknown_ms": self.iqr(self.unknown) * 1000,
            "difference_ms": self.difference * 1000,
            "noise_ms": self.noise * 1000,
        }
        rounded = {k: round(v, 2) for k, v in ms.items()}
        slower = f"{self.rounds_known_slower}/{len(self.known)}"
        shown = ", ".join(f"{k}={v}" for k, v in rounded.items())
        print(f"\n{label} [{connection.vendor}]: {shown}, rounds known slower={slower}")
        return {"database": connection.vendor, "rounds_known_slower": slower, **rounded}


def ask(face: str) -> Callable[[ApiClient, str, str], bool]:
    """One "Send reset link" from `address`; True when the answer is the usual one."""

    def by_page(browser: ApiClient, email: str, address: str) -> bool:
        reply = browser.client.post(
            "/portal/password/reset",
            {"email": email},
            headers={"X-CSRFToken": browser.csrf},
            REMOTE_ADDR=address,
        )
        return bool(reply.status_code == 302 and reply["Location"].endswith("/reset/sent"))

    def by_api(browser: ApiClient, email: str, address: str) -> bool:
        reply = browser.post("/password/reset", {"email": email}, REMOTE_ADDR=address)
        return bool(reply.status_code == 202 and reply.json() == {"message": SENT})

    return by_page if face == "page" else by_api


def measure(face: str, seed: int) -> Figures:
    """PAIRS known and PAIRS unknown requests, interleaved; every known one sends a link."""
    per_account = throttle.RESET_LINKS.free_failures
    patients = [
        User.objects.create_user(f"known{n}@example.org", PASSWORD, name="Ana Patient")
        for n in range(PAIRS // per_account + 1)
    ]
    warm_up = patients.pop()
    browser = ApiClient()
    post = ask(face)
    assert post(browser, warm_up.email, "192.0.2.1")  # templates, translations, queries
    assert post(browser, "warm-up@example.org", "192.0.2.2")
    mail.outbox.clear()
    shuffle = random.Random(seed)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(PAIRS):
        pair = ["known", "unknown"]
        shuffle.shuffle(pair)
        for m, kind in enumerate(pair):
            email = (
                patients[n // per_account].email if kind == "known" else f"nobody{n}@example.net"
            )
            address = f"198.51.{n}.{m + 1}"
            started = time.perf_counter()
            answered = post(browser, email, address)
            timings[kind].append(time.perf_counter() - started)
            assert answered, (kind, n)
    assert len(mail.outbox) == PAIRS, "every known request sent its link"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.email for p in patients for _ in range(per_account)
    )
    assert PasswordResetLink.objects.filter(user__in=patients).count() == len(patients)
    return Figures(timings["known"], timings["unknown"])


@pytest.mark.django_db
@pytest.mark.parametrize("face", ["page", "api"])
def test_known_and_unknown_emails_take_the_same_time(
    face: str, settings: Any, figures: dict[str, Any]
) -> None:
    settings.CAREKEY_PASSWORD_RESET_ANSWER_SECONDS = PADDING
    measured = measure(face, seed=16)
    summary = measured.summary(f"reset request timing, {face}, padding {PADDING} s")
    figures.setdefault("password_reset_timing", {})[face] = summary
    assert measured.median_known >= PADDING and measured.median_unknown >= PADDING
    assert abs(measured.difference) < measured.noise, summary


@pytest.mark.django_db
@pytest.mark.parametrize("face", ["page", "api"])
def test_without_the_padding_the_known_path_is_slower(
    face: str, settings: Any, figures: dict[str, Any]
) -> None:
    """The control: with the padding at 0 the known email's extra work shows."""
    settings.CAREKEY_PASSWORD_RESET_ANSWER_SECONDS = 0
    measured = measure(face, seed=16)
    summary = measured.summary(f"reset request timing, {face}, padding 0")
    figures.setdefault("password_reset_timing", {})[f"{face}, padding 0"] = summary
    assert measured.median_unknown < PADDING
    assert measured.difference > 0, summary
    assert measured.rounds_known_slower >= PAIRS * 5 // 6, summary


# --- the email leaves on a thread after commit ----------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("face", ["page", "api"])
def test_the_link_is_delivered_by_a_background_thread_after_commit(
    face: str, settings: Any, monkeypatch: Any
) -> None:
    """A slow mail server (1 s a message) does not slow the answer; the email still arrives."""
    settings.CAREKEY_SEND_MAIL_IN_BACKGROUND = True
    settings.CAREKEY_PASSWORD_RESET_ANSWER_SECONDS = PADDING
    user = User.objects.create_user("ana@example.org", PASSWORD, name="Ana Patient")
    senders: list[str] = []
    deliver = EmailBackend.send_messages

    def slow_mail_server(backend: EmailBackend, messages: Any) -> int:
        senders.append(threading.current_thread().name)
        time.sleep(1.0)
        return deliver(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", slow_mail_server)
    browser = ApiClient()
    started = time.perf_counter()
    assert ask(face)(browser, user.email, "198.51.100.7")
    answered_in = time.perf_counter() - started
    assert PADDING <= answered_in < PADDING + 0.5, answered_in
    deadline = time.monotonic() + 5
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m.to for m in mail.outbox] == [[user.email]], "the link never arrived"
    assert senders and senders[0] != threading.main_thread().name, senders
    link = mail.outbox[0].body.split("/portal/password/reset/")[1].split()[0]
    assert browser.client.get(f"/portal/password/reset/{link}").status_code == 200
