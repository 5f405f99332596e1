"""The OAuth tokens CareKey issued to other apps for a patient (django-oauth-toolkit's
tables): ended with the patient's sessions, so signing out, "Sign out other devices" and a
staff reset also cut off every connected app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from oauth2_provider.models import AccessToken, Application, RefreshToken

from carekey.accounts.models import DisabledClient
from carekey.audit.record import record
from carekey.errors import CareKeyError
from carekey.rows import read_datetime


def revoke_all(user: Any, application: Any = None) -> int:
    """Revoke the patient's refresh and access tokens (of one app, when given); how many."""
    refresh = RefreshToken.objects.filter(user=user, revoked__isnull=True)
    access = AccessToken.objects.filter(user=user)
    if application is not None:
        refresh = refresh.filter(application=application)
        access = access.filter(application=application)
    count = 0
    for token in refresh:
        token.revoke()
        count += 1
    deleted, _by_model = access.delete()
    return count + int(deleted)


def revoke_all_recorded(request: HttpRequest | None, user: Any) -> int:
    """Revoke every token of the patient's apps; `oidc.token.revoked` when there were any."""
    count = revoke_all(user)
    if count:
        record("oidc.token.revoked", user=user, request=request, count=count)
    return count


@dataclass(frozen=True)
class ConnectedApp:
    """An app that holds tokens for the patient ("Connected apps")."""

    client_id: str
    name: str
    first_used: datetime
    last_used: datetime


def _token_rows(user: Any) -> list[tuple[Any, ...]]:
    """(client_id, name, created, updated) of each access token and unrevoked refresh
    token: one UNION ALL by a fixed statement (issue 18: the union's queryset took longer
    to compile than to run, on every security page)."""
    tables = {}
    for model in (AccessToken, RefreshToken, Application):
        tables[model] = connection.ops.quote_name(model._meta.db_table)
    select = (
        'SELECT a."client_id", a."name", t."created", t."updated" FROM {} t '
        'LEFT OUTER JOIN {} a ON a."id" = t."application_id" WHERE t."user_id" = %s'
    )
    access = select.format(tables[AccessToken], tables[Application])
    refresh = select.format(tables[RefreshToken], tables[Application]) + ' AND t."revoked" IS NULL'
    with connection.cursor() as cursor:
        cursor.execute(f"{access} UNION ALL {refresh}", [user.pk, user.pk])
        return [(c, n, read_datetime(made), read_datetime(used)) for c, n, made, used in cursor]


def connected(user: Any) -> list[ConnectedApp]:
    """Apps with a live access token or an unrevoked refresh token, most recent first."""
    found: dict[str, ConnectedApp] = {}
    for client_id, name, created, updated in _token_rows(user):
        seen = found.get(client_id)
        first = min(created, seen.first_used) if seen else created
        last = max(updated, seen.last_used) if seen else updated
        found[client_id] = ConnectedApp(client_id, name, first, last)
    return sorted(found.values(), key=lambda app: app.last_used, reverse=True)


def is_disabled(client: Any) -> bool:
    return bool(DisabledClient.objects.filter(application=client).exists())


def disable_client(request: HttpRequest | None, staff: Any, client: Any) -> int:
    """Switch a client off and revoke every token it holds, for every patient."""
    DisabledClient.objects.get_or_create(application=client)
    refresh = RefreshToken.objects.filter(application=client, revoked__isnull=True)
    count = 0
    for token in refresh:
        token.revoke()
        count += 1
    deleted, _by_model = AccessToken.objects.filter(application=client).delete()
    record("oidc.client.disabled", user=staff, request=request, client=client.name)
    return count + int(deleted)


def enable_client(client: Any) -> None:
    DisabledClient.objects.filter(application=client).delete()


class AppNotConnected(CareKeyError):
    code = "app_not_found"
    status = 404
    default = gettext_lazy("That app is not connected to your account.")


def disconnect(request: HttpRequest, user: Any, client_id: str) -> str:
    """Revoke one app's tokens for the patient (audited); its name, for the message."""
    client = Application.objects.filter(client_id=client_id).first()
    if client is None or not revoke_all(user, client):
        raise AppNotConnected()
    record("oidc.client.disconnected", user=user, request=request, client=client.name)
    return str(client.name)
