"""Session keys at rest (issue 12): the table holds a keyed hash of each cookie value, so a
read of the table (a backup, a replica, an injection elsewhere) opens no session, while
sign-in, rotation, revocation and sign-out work as before.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from carekey.accounts.models import PortalSession
from carekey.accounts.session_store import SessionStore, stored_key
from carekey.gate.middleware import SessionLifetimeMiddleware
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import enroll_and_verify

pytestmark = pytest.mark.django_db

COOKIE = "carekey_session"


def cookie_of(api: ApiClient) -> str:
    return str(api.client.cookies[COOKIE].value)


def row_keys() -> set[str]:
    return set(PortalSession.objects.values_list("session_key", flat=True))


def holder_of(session_id: str) -> ApiClient:
    """Another browser that sets the session cookie to `session_id` and nothing else."""
    thief = ApiClient()
    thief.client.cookies[COOKIE] = session_id
    return thief


def test_the_row_is_keyed_by_a_keyed_hash_of_the_cookie_not_the_cookie(patient) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    cookie = cookie_of(api)
    row = PortalSession.objects.get(user=patient)
    assert row.session_key != cookie
    assert row.session_key == stored_key(cookie)
    assert len(row.session_key) == 40 and cookie not in row.session_key
    assert not PortalSession.objects.filter(session_key=cookie).exists()
    assert api.get("/session").status_code == 200


def test_a_row_key_copied_from_the_table_opens_nothing(patient) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    copied = PortalSession.objects.get(user=patient).session_key
    thief = holder_of(copied)
    assert thief.get("/session").status_code == 401
    page = Client()
    page.cookies[COOKIE] = copied
    assert page.get("/portal/security")["Location"].startswith("/portal/signin")
    assert api.get("/session").status_code == 200, "the patient's own session still works"


def test_the_engine_never_looks_rows_up_by_the_cookie_value(patient) -> None:
    store = SessionStore()
    store["probe"] = "kept"
    store.create()
    cookie = store.session_key
    assert cookie is not None
    assert row_keys() == {stored_key(cookie)}
    assert store.exists(cookie) and not store.exists(stored_key(cookie))
    assert SessionStore(cookie).load() == {"probe": "kept"}
    assert SessionStore(stored_key(cookie)).load() == {}
    store.delete(cookie)
    assert row_keys() == set()


def test_sign_in_on_the_page_stores_only_the_hash(patient) -> None:
    client = Client()
    client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    cookie = client.cookies[COOKIE].value
    assert row_keys() == {stored_key(cookie)}
    assert client.get("/portal/security").status_code == 200


def test_rotation_at_a_verified_factor_keys_the_new_row_by_its_hash(patient) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    before = cookie_of(api)
    enroll_and_verify(api)  # rotates the session id and signs other sessions out
    after = cookie_of(api)
    assert after != before
    assert row_keys() == {stored_key(after)}
    assert holder_of(before).get("/session").status_code == 401
    assert api.get("/session").json()["aal"] == "aal2"


def test_signing_out_other_devices_keeps_this_one_by_its_hash(patient) -> None:
    here, there = ApiClient(), ApiClient()
    here.sign_in(patient.email)
    there.sign_in(patient.email)
    assert here.delete("/sessions/others").status_code == 204
    assert row_keys() == {stored_key(cookie_of(here))}
    assert here.get("/session").status_code == 200
    assert there.get("/session").status_code == 401


def test_sign_out_deletes_the_hashed_row(patient) -> None:
    here, there = ApiClient(), ApiClient()
    here.sign_in(patient.email)
    there.sign_in(patient.email)
    leaving = stored_key(cookie_of(here))
    assert leaving in row_keys()
    assert here.delete("/session").status_code == 204
    assert leaving not in row_keys()
    assert row_keys() == {stored_key(cookie_of(there))}
    assert there.get("/session").status_code == 200


def saved_at_aal1() -> tuple[SessionStore, str]:
    """A session whose row is written, holding {"level": "aal1"}; and its cookie value."""
    store = SessionStore()
    store["level"] = "aal1"
    store.create()
    assert store.session_key is not None
    return store, store.session_key


def test_a_rotation_replaces_the_old_row_when_the_new_one_is_written(patient) -> None:
    """Issue 18: the old row is deleted by the statement that writes the new one; until
    then it keeps its old contents, never the state the request is building."""
    store, old = saved_at_aal1()
    store.cycle_key()
    store["level"] = "aal2"
    assert SessionStore(old).load() == {"level": "aal1"}, "the old row held the new state"
    store.save()
    new = store.session_key
    assert new is not None and new != old
    assert row_keys() == {stored_key(new)}
    assert SessionStore(new).load() == {"level": "aal2"}
    assert SessionStore(old).load() == {}


def test_a_key_rotated_twice_before_its_save_leaves_one_row(patient) -> None:
    store = SessionStore()
    store.create()
    store.cycle_key()
    store.cycle_key()
    store.save()
    assert store.session_key is not None
    assert row_keys() == {stored_key(store.session_key)}


def test_signing_out_in_the_request_that_rotated_deletes_the_old_row_too(patient) -> None:
    store, old = saved_at_aal1()
    store.cycle_key()
    store.flush()
    assert row_keys() == set()
    assert SessionStore(old).load() == {}


@pytest.mark.parametrize("status", [500, 503])
def test_a_failed_response_after_a_rotation_ends_the_old_row(patient, status: int) -> None:
    """Django saves no session after a 5xx, so the new row is never written; the old one
    must not live on either (review of issue 18: the old cookie would have kept working)."""
    store, old = saved_at_aal1()
    request = RequestFactory().get("/portal/security")
    request.session = store

    def rotating_then_failing(req: Any) -> HttpResponse:
        req.session.cycle_key()
        return HttpResponse(status=status)

    assert SessionLifetimeMiddleware(rotating_then_failing)(request).status_code == status
    assert SessionStore(old).load() == {}
    assert row_keys() == set()
