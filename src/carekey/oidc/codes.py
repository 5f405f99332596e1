"""Authorization codes work once, atomically, and a replay revokes what the first
exchange issued: an attacker who races or replays a stolen code gains nothing, and the
legitimate client's tokens die with it."""

from __future__ import annotations

from oauth2_provider.models import AccessToken, RefreshToken

from carekey.oidc.models import GrantContext


def claim(context: GrantContext) -> bool:
    """True for exactly one caller, however many exchange the code at once."""
    return GrantContext.objects.filter(pk=context.pk, claimed=False).update(claimed=True) == 1


def replayed(context: GrantContext) -> None:
    """A second exchange: mark it, and revoke whatever the first has issued so far."""
    GrantContext.objects.filter(pk=context.pk).update(replayed=True)
    revoke_issued(context.pk)


def issued(context: GrantContext, token: AccessToken) -> None:
    """Link the token the exchange is issuing (inside the toolkit's transaction)."""
    GrantContext.objects.filter(pk=context.pk).update(access_token=token)


def settle(context: GrantContext) -> None:
    """After the exchange committed: a replay that came in meanwhile saw no token to
    revoke, so revoke it now. One of the two always sees the other's write."""
    if GrantContext.objects.filter(pk=context.pk, replayed=True).exists():
        revoke_issued(context.pk)


def revoke_issued(context_pk: int) -> None:
    token_id = (
        GrantContext.objects.filter(pk=context_pk).values_list("access_token", flat=True).first()
    )
    if token_id is None:
        return
    for refresh in RefreshToken.objects.filter(access_token_id=token_id):
        refresh.revoke()
    AccessToken.objects.filter(pk=token_id).delete()
