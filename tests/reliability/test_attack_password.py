"""Attack matrix, passwords (CONTRACT §7, issue 16): what the change and reset forms must
never buy an attacker.

- "Change password" is no oracle for the current password: a wrong one counts in the
  sign-in throttle (the same keys), so a stolen session cookie gets five guesses and then
  waits, even with the right password; the patient's own browser (device cookie) is never
  kept out by those failures.
- "Send reset link" is limited per address (a visible 429, the same for every email) and
  per account (three links an hour, silently), also under a burst of concurrent requests.
- One emailed link submitted twice at once sets one password.
- A burst of concurrent wrong current passwords gets at most the free failures checked.

Concurrent rows use threads in this process, each on its own database connection, on
whichever database the run uses (a SQLite file in WAL mode, or PostgreSQL).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from carekey.accounts import device_cookies, throttle
from carekey.accounts.models import PasswordResetLink, ThrottleState, User
from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_replay_race import run_together

pytestmark = pytest.mark.django_db

FREE = throttle.ACCOUNT.free_failures
PER_IP = throttle.RESET_REQUESTS_PER_IP.free_failures
LINKS = throttle.RESET_LINKS.free_failures
WRONG = "not-the-password-1"
NEW = "violet-harbor-lantern-42"
OWNER_IP = "198.51.100.7"
ATTACKER_IP = "203.0.113.5"
LINK = re.compile(r"/portal/password/reset/([A-Za-z0-9_-]{20,})")


@pytest.fixture(autouse=True)
def _no_padding(settings: Any) -> None:
    """The answer's padding is test_password_reset_timing's subject; here it only waits."""
    settings.CAREKEY_PASSWORD_RESET_ANSWER_SECONDS = 0


def addresses(prefix: str = "198.51.100") -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"{prefix}.{n}"


def make_user(email: str = "ana@example.org") -> User:
    return User.objects.create_user(email, PASSWORD, name="Ana Patient")


def own_browser(user: User) -> ApiClient:
    """The patient's browser: signed in, so it holds a device cookie for the account."""
    browser = ApiClient(REMOTE_ADDR=OWNER_IP)
    browser.sign_in(user.email)
    assert device_cookies.COOKIE_NAME in browser.client.cookies
    return browser


def stolen_session(owner: ApiClient, address: str = ATTACKER_IP) -> ApiClient:
    """Another browser carrying only the owner's session cookie: no device cookie."""
    thief = ApiClient(REMOTE_ADDR=address)
    thief.client.cookies["carekey_session"] = owner.client.cookies["carekey_session"].value
    assert device_cookies.COOKIE_NAME not in thief.client.cookies
    assert thief.get("/session").status_code == 200, "the stolen cookie opens the session"
    return thief


def change(browser: ApiClient, current: str, face: str = "api", new: str = NEW) -> Any:
    if face == "page":
        form = {"current_password": current, "new_password": new, "confirm_password": new}
        return browser.client.post(
            "/portal/security/password", form, headers={"X-CSRFToken": browser.csrf}
        )
    return browser.post("/session/password", {"current_password": current, "new_password": new})


def sign_in(browser: ApiClient, email: str, password: str) -> Any:
    return browser.post("/session", {"email": email, "password": password})


def refused_wrong(response: Any, face: str) -> None:
    """A checked, wrong current password: 401 in the API, the form again (400) on the page."""
    if face == "page":
        assert response.status_code == 400, response.status_code
        assert "Your current password is not correct." in response.content.decode()
    else:
        assert response.status_code == 401, response.content
        assert response.json()["error"]["code"] == "invalid_credentials"


def throttled(response: Any) -> None:
    assert response.status_code == 429, (response.status_code, response.content[:300])
    assert int(response["Retry-After"]) >= 1
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["error"]["code"] == "too_many_attempts"


def password_is(user: User, password: str) -> bool:
    user.refresh_from_db()
    return user.check_password(password)


def failures(key: str) -> int:
    return ThrottleState.objects.filter(key=key).values_list("failures", flat=True).first() or 0


def checked_change_failures(user: User) -> int:
    """password.change_failed events of checked passwords (a refusal's event says throttled)."""
    events = SecurityEvent.objects.filter(user=user, type="password.change_failed")
    return sum(1 for e in events if e.detail.get("reason") != "throttled")


def token_in(body: Any) -> str:
    """The token of the link an email holds."""
    found = LINK.search(str(body))
    assert found is not None, body
    return found.group(1)


# --- (a) wrong current passwords hit the throttle -------------------------------------------


@pytest.mark.parametrize("faces", ["api", "page", "page and api"])
def test_wrong_current_passwords_from_a_stolen_session_are_throttled(faces: str) -> None:
    user = make_user()
    thief = stolen_session(own_browser(user))
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(FREE):
            face = ("api", "page")[n % 2] if faces == "page and api" else faces
            refused_wrong(change(thief, WRONG, face), face)
        for face in ("api", "page"):
            throttled(change(thief, PASSWORD, face))  # the right one too, unchecked
        throttled(sign_in(ApiClient(REMOTE_ADDR="192.0.2.9"), user.email, PASSWORD))
    assert password_is(user, PASSWORD) and not password_is(user, NEW)
    assert checked_change_failures(user) == FREE


def test_the_patients_own_browser_is_not_kept_out_by_a_thiefs_failures() -> None:
    user = make_user()
    own = own_browser(user)
    thief = stolen_session(own)
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [change(thief, WRONG).status_code for _ in range(FREE + 2)]
        assert statuses == [401] * FREE + [429] * 2
        throttled(change(thief, PASSWORD))
        answer = change(own, PASSWORD)  # the device cookie counts under its own nonce
        assert answer.status_code == 204, answer.content
    assert password_is(user, NEW)
    assert own.get("/session").status_code == 200, "the patient stays signed in"
    assert thief.get("/session").status_code == 401, "the stolen session id died with the change"


def test_a_browser_that_signed_in_before_signs_in_while_change_failures_throttle_others() -> None:
    user = make_user()
    own = own_browser(user)
    thief = stolen_session(own)
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(FREE):
            refused_wrong(change(thief, WRONG), "api")
        throttled(sign_in(ApiClient(REMOTE_ADDR="192.0.2.9"), user.email, PASSWORD))
        assert own.delete("/session").status_code in {200, 204}  # signed out; the cookie stays
        assert sign_in(own, user.email, PASSWORD).status_code == 200


def test_the_own_browsers_change_failures_are_counted_for_it_alone() -> None:
    user = make_user()
    own = own_browser(user)
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(FREE):
            refused_wrong(change(own, WRONG, ("api", "page")[n % 2]), ("api", "page")[n % 2])
        throttled(change(own, PASSWORD))
        newcomer = ApiClient(REMOTE_ADDR="192.0.2.44")
        assert sign_in(newcomer, user.email, PASSWORD).status_code == 200
    assert failures(throttle.key_for_password(user.pk)) == 0
    assert password_is(user, PASSWORD)


# --- (b) the change form is no way around the sign-in throttle ------------------------------


ORDERS = {
    "sign-in failures, then change failures": ["signin"] * 3 + ["change"] * 2,
    "change failures, then sign-in failures": ["change"] * 4 + ["signin"],
    "alternating": ["signin", "change"] * 2 + ["signin"],
}


@pytest.mark.parametrize("order", ORDERS)
def test_sign_in_and_change_failures_count_in_one_key(order: str) -> None:
    user = make_user()
    thief = stolen_session(own_browser(user))
    ips = addresses("203.0.113")
    with time_machine.travel(timezone.now(), tick=False):
        for where in ORDERS[order]:
            if where == "signin":
                reply = sign_in(ApiClient(REMOTE_ADDR=next(ips)), user.email, WRONG)
                assert reply.status_code == 401, reply.content
            else:
                refused_wrong(change(thief, WRONG), "api")
        assert failures(throttle.key_for_password(user.pk)) == FREE
        throttled(sign_in(ApiClient(REMOTE_ADDR=next(ips)), user.email, PASSWORD))
        throttled(change(thief, PASSWORD))
        throttled(change(thief, PASSWORD, "page"))
    assert password_is(user, PASSWORD)


def test_one_browsers_sign_in_and_change_failures_count_in_its_device_key() -> None:
    user = make_user()
    own = own_browser(user)
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            refused_wrong(change(own, WRONG), "api")
        own.delete("/session")
        for _ in range(FREE - 3):
            assert sign_in(own, user.email, WRONG).status_code == 401
        throttled(sign_in(own, user.email, PASSWORD))
    assert failures(throttle.key_for_password(user.pk)) == 0


def test_wrong_current_passwords_across_accounts_from_one_address_hold_that_address() -> None:
    """The per-address limit holds for "Change password" as for sign-in: stolen sessions
    of many patients, each kept under its account's five failures, still get the address
    only its 30 checked failures; the 31st change from it is refused for any patient,
    the right password too, and other addresses and the patients' own browsers go on."""
    per_ip = throttle.PER_IP.free_failures
    spread = FREE - 1  # failures per account: never enough to hold an account
    needed = -(-per_ip // spread)
    owners = [own_browser(make_user(f"p{n}@example.org")) for n in range(needed + 1)]
    thieves = [stolen_session(owner) for owner in owners]
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(per_ip):
            refused_wrong(change(thieves[n // spread], WRONG), "api")
        fresh_owner, fresh_thief = owners[-1], thieves[-1]
        for face in ("api", "page"):
            throttled(change(fresh_thief, PASSWORD, face))
        elsewhere = stolen_session(fresh_owner, "192.0.2.77")
        refused_wrong(change(elsewhere, WRONG), "api")
        assert change(fresh_owner, PASSWORD).status_code == 204
    assert failures(throttle.key_for_ip(ATTACKER_IP)) == per_ip
    patients = [User.objects.get(email=f"p{n}@example.org") for n in range(needed + 1)]
    assert all(password_is(patient, PASSWORD) for patient in patients[:-1])
    assert password_is(patients[-1], NEW), "changed by its own browser only"


# --- (c) the per-address limit on reset requests --------------------------------------------


def ask_for_link(browser: ApiClient, email: str, face: str, **extra: Any) -> Any:
    if face == "page":
        return browser.client.post(
            "/portal/password/reset",
            {"email": email},
            headers={"X-CSRFToken": browser.csrf},
            **extra,
        )
    return browser.post("/password/reset", {"email": email}, **extra)


def sent(response: Any, face: str) -> bool:
    if face == "page":
        return bool(
            response.status_code == 302
            and response["Location"].endswith("/portal/password/reset/sent")
        )
    return bool(
        response.status_code == 202
        and response.json()["message"]
        == "If an account exists for that email, we sent a link to it."
    )


@pytest.mark.parametrize("face", ["api", "page"])
def test_the_21st_reset_request_from_one_address_is_refused_for_any_email(face: str) -> None:
    users = [make_user(f"known{n}@example.org") for n in range(PER_IP // LINKS + 1)]
    browser = ApiClient(REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(PER_IP):
            email = users[n // 2 // LINKS].email if n % 2 else f"nobody{n}@example.org"
            assert sent(ask_for_link(browser, email, face), face), n
        known = ask_for_link(browser, users[-1].email, face)
        unknown = ask_for_link(browser, "nobody-else@example.org", face)
        elsewhere = ApiClient(REMOTE_ADDR="203.0.113.10")
        other_address = ask_for_link(elsewhere, users[-1].email, face)
    for refused in (known, unknown):
        throttled(refused)
    assert known["Retry-After"] == unknown["Retry-After"]
    if face == "api":
        assert known.json() == unknown.json()
    assert sent(other_address, face)
    assert [m.to for m in mail.outbox].count([users[-1].email]) == 1, "only the other address's"


def test_page_and_api_share_one_addresss_reset_budget() -> None:
    browser = ApiClient(REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(PER_IP):
            face = ("api", "page")[n % 2]
            assert sent(ask_for_link(browser, f"nobody{n}@example.org", face), face)
        throttled(ask_for_link(browser, "nobody@example.org", "page"))
        throttled(ask_for_link(browser, "nobody@example.org", "api"))


@pytest.mark.parametrize("variation", ["forged X-Forwarded-For", "a new session each time"])
def test_the_reset_budget_is_not_bypassed(variation: str) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(PER_IP + 1):
            extra = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"} if "Forwarded" in variation else {}
            browser = ApiClient(REMOTE_ADDR="203.0.113.9")
            reply = ask_for_link(browser, f"nobody{n}@example.org", "api", **extra)
            if n < PER_IP:
                assert sent(reply, "api"), n
            else:
                throttled(reply)


def test_clients_behind_a_trusted_proxy_each_have_their_own_budget(settings: Any) -> None:
    settings.CAREKEY_TRUSTED_PROXIES = ["10.0.0.1"]
    proxy = ApiClient(REMOTE_ADDR="10.0.0.1")
    first = {"HTTP_X_FORWARDED_FOR": "192.0.2.1"}
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(PER_IP):
            assert sent(ask_for_link(proxy, f"nobody{n}@example.org", "api", **first), "api")
        throttled(ask_for_link(proxy, "nobody@example.org", "api", **first))
        second = {"HTTP_X_FORWARDED_FOR": "192.0.2.2"}
        assert sent(ask_for_link(proxy, "nobody@example.org", "api", **second), "api")


def test_the_per_address_count_is_forgotten_after_an_hour_of_quiet() -> None:
    browser = ApiClient(REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(PER_IP):
            ask_for_link(browser, f"nobody{n}@example.org", "api")
        throttled(ask_for_link(browser, "nobody@example.org", "api"))
        traveller.shift(3601)
        assert sent(ask_for_link(browser, "nobody@example.org", "api"), "api")


@pytest.mark.parametrize("later", [31, 10 * 60, 59 * 60])
def test_no_21st_reset_request_from_one_address_within_the_hour(later: int) -> None:
    """Twenty an hour means an hour: not the sign-in throttle's 30 s first wait."""
    browser = ApiClient(REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(PER_IP):
            assert sent(ask_for_link(browser, f"nobody{n}@example.org", "api"), "api")
        traveller.shift(later)
        throttled(ask_for_link(browser, "nobody@example.org", "api"))


# --- (d) the per-account link limit under concurrency ---------------------------------------

BURST = 16


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("face", ["api", "page"])
def test_a_burst_of_reset_requests_for_one_account_sends_at_most_three_links(
    face: str, figures: dict[str, Any]
) -> None:
    user = make_user()
    browsers = [ApiClient(REMOTE_ADDR=f"198.51.100.{n + 1}") for n in range(BURST)]
    pending = iter(browsers)
    lock = threading.Lock()

    def ask() -> tuple[int, bool]:
        with lock:
            browser = next(pending)
        reply = ask_for_link(browser, user.email, face)
        return int(reply.status_code), sent(reply, face)

    answers = run_together(BURST, ask)
    name = f"{BURST} concurrent reset requests for one account ({face}), emails sent"
    statuses = Counter(status for status, _ in answers)
    figures.setdefault("races", {})[name] = {"accepted": len(mail.outbox), "statuses": statuses}
    assert all(ok for _, ok in answers), "over the limit the answer is the same: nothing shows"
    assert len(mail.outbox) == LINKS, [m.to for m in mail.outbox]
    assert {tuple(m.to) for m in mail.outbox} == {(user.email,)}
    assert failures(throttle.key_for_reset_links(user.pk)) == LINKS
    tokens = [token_in(message.body) for message in mail.outbox]
    page = ApiClient().client
    working = [t for t in tokens if page.get(f"/portal/password/reset/{t}").status_code == 200]
    assert len(working) == 1, f"only the newest link works, {len(working)} do"
    assert PasswordResetLink.objects.filter(user=user).count() <= LINKS


def test_the_fourth_request_in_an_hour_sends_nothing_and_says_the_same() -> None:
    user = make_user()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        answers = [
            ask_for_link(ApiClient(REMOTE_ADDR=f"198.51.100.{n}"), user.email, "api").json()
            for n in range(LINKS + 2)
        ]
        assert len(mail.outbox) == LINKS
        traveller.shift(3601)
        ask_for_link(ApiClient(REMOTE_ADDR="198.51.100.99"), user.email, "api")
    assert len({str(a) for a in answers}) == 1
    assert len(mail.outbox) == LINKS + 1, "a new hour, a new link"


# --- (e) one link, two submissions at once --------------------------------------------------


def emailed_token(user: User) -> str:
    mail.outbox.clear()
    assert sent(ask_for_link(ApiClient(), user.email, "api"), "api")
    assert len(mail.outbox) == 1
    return token_in(mail.outbox[0].body)


def submit_link(face: str, token: str, new: str) -> tuple[str, int]:
    """'won' or 'refused' (reset_link_invalid), and the status; anything else fails."""
    browser = ApiClient()
    if face == "page":
        form = {"new_password": new, "confirm_password": new}
        reply = browser.client.post(
            f"/portal/password/reset/{token}", form, headers={"X-CSRFToken": browser.csrf}
        )
        if reply.status_code == 302:
            assert reply["Location"].endswith("/portal/signin")
            return "won", 302
        assert reply.status_code == 400, reply.status_code
        assert "This link has expired or was already used." in reply.content.decode()
        return "refused", 400
    answer = browser.post("/password/reset/confirm", {"token": token, "new_password": new})
    if answer.status_code == 204:
        return "won", 204
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "reset_link_invalid"
    return "refused", 400


RACES = {
    "two API submissions": ["api", "api"],
    "two page submissions": ["page", "page"],
    "the page and the API": ["page", "api"],
    "eight at once": ["api", "page"] * 4,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("race", RACES)
def test_one_link_submitted_at_once_sets_one_password(race: str, figures: dict[str, Any]) -> None:
    user = make_user()
    token = emailed_token(user)
    faces = RACES[race]
    candidates = [f"amber-meadow-copper-{n}" for n in range(len(faces))]
    pending = iter(zip(faces, candidates, strict=True))
    lock = threading.Lock()

    def submit() -> tuple[str, int, str]:
        with lock:
            face, new = next(pending)
        return (*submit_link(face, token, new), new)

    results = run_together(len(faces), submit)
    tally = Counter(outcome for outcome, _, _ in results)
    figures.setdefault("races", {})[f"one reset link, {race}"] = {
        "accepted": tally["won"],
        "statuses": Counter(status for _, status, _ in results),
    }
    assert tally == Counter({"won": 1, "refused": len(faces) - 1}), tally
    winner = next(new for outcome, _, new in results if outcome == "won")
    user.refresh_from_db()
    assert user.check_password(winner)
    assert not any(user.check_password(new) for new in candidates if new != winner)
    assert not user.check_password(PASSWORD)
    assert not PasswordResetLink.objects.filter(user=user).exists()
    resets = SecurityEvent.objects.filter(user=user, type="password.reset")
    assert resets.count() == 1
    assert sign_in(ApiClient(), user.email, winner).status_code == 200


# --- (f) a burst of wrong current passwords -------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("browser", ["stolen sessions (no device cookie)", "the own browser"])
def test_a_burst_of_wrong_current_passwords_checks_at_most_the_free_failures(
    browser: str, figures: dict[str, Any]
) -> None:
    user = make_user()
    own = own_browser(user)
    if browser == "the own browser":
        clients = [ApiClient(REMOTE_ADDR=OWNER_IP) for _ in range(BURST)]
        for client in clients:  # tabs of one browser: its session and its device cookie
            for name, morsel in own.client.cookies.items():
                client.client.cookies[name] = morsel.value
    else:
        clients = [stolen_session(own, f"203.0.113.{n + 1}") for n in range(BURST)]
    pending = iter(clients)
    lock = threading.Lock()

    def guess() -> int:
        with lock:
            client = next(pending)
        return int(change(client, WRONG).status_code)

    tally = Counter(run_together(BURST, guess))
    name = f"{BURST} concurrent wrong current passwords, {browser}"
    figures.setdefault("throttle_bursts", {})[name] = [dict(tally)]
    assert tally[401] <= FREE and tally[401] + tally[429] == BURST, tally
    assert checked_change_failures(user) == tally[401]
    throttled(change(clients[0], PASSWORD))
    assert password_is(user, PASSWORD)
