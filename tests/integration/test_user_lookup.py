"""The signed-in user is read by a fixed statement (issue 18), with the ORM's answers:
the same user, DoesNotExist for an unknown id, the ORM's own errors for anything else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carekey.accounts.models import User
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_get_by_id_is_the_fixed_statement_and_the_same_user(
    make_patient: Callable[..., User],
) -> None:
    patient = make_patient()
    with CaptureQueriesContext(connection) as captured:
        found = User.objects.get(pk=str(patient.pk))
    assert found == patient and found.email == patient.email
    assert found.password == patient.password and found.is_active
    assert [q["sql"] for q in captured.captured_queries] == [
        f'SELECT * FROM "accounts_user" WHERE "id" = {patient.pk}'
    ]
    assert User.objects.get(pk=patient.pk) == patient


def test_an_unknown_id_is_does_not_exist_and_other_lookups_are_the_orms(
    make_patient: Callable[..., User],
) -> None:
    patient = make_patient()
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk="987654321")
    with pytest.raises(ValueError, match="expected a number"):
        User.objects.get(pk="1 OR 1=1")
    assert User.objects.get(email=patient.email) == patient
    assert User.objects.get(pk=patient.pk, is_active=True) == patient
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=str(2**70))


def test_a_related_manager_keeps_its_filter(make_patient: Callable[..., User]) -> None:
    """A group's members are a subclass of the manager: a non-member is not found."""
    member, outsider = make_patient("in@example.org"), make_patient("out@example.org")
    group = Group.objects.create(name="support desk")
    group.user_set.add(member)
    assert group.user_set.get(pk=member.pk) == member
    with pytest.raises(User.DoesNotExist):
        group.user_set.get(pk=outsider.pk)


def test_a_signed_in_request_reads_the_user_by_the_fixed_statement(
    make_patient: Callable[..., User],
) -> None:
    api = ApiClient()
    api.sign_in(make_patient().email)
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/session").status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    assert any(s.startswith('SELECT * FROM "accounts_user" WHERE "id" = ') for s in statements)
