"""django-oauth-toolkit's validator, extended where CareKey knows better: acr, amr, sid,
auth_time from the session that signed in, and the standard claims by scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from django.utils import timezone
from oauth2_provider.models import Grant
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from carekey.accounts import app_tokens
from carekey.oidc import codes
from carekey.oidc.models import GrantContext

CONTEXT = "carekey_assurance"  # the credential the authorize view passes to the grant


class CareKeyValidator(OAuth2Validator):  # type: ignore[misc]
    oidc_claim_scope: ClassVar[dict[str, str]] = {
        **OAuth2Validator.oidc_claim_scope,
        "acr": "openid",
        "amr": "openid",
        "sid": "openid",
        "fhirUser": "fhirUser",
    }

    def _create_authorization_code(self, request: Any, code: Any, expires: Any = None) -> Any:
        """The grant, and beside it how the patient authenticated when it was issued."""
        grant = super()._create_authorization_code(request, code, expires)
        assurance = getattr(request, CONTEXT)
        GrantContext.objects.create(
            grant=grant,
            acr=assurance.acr,
            amr=assurance.amr,
            auth_time=assurance.auth_time,
            sid=assurance.sid,
        )
        return grant

    # A client the support desk disabled is unknown to every endpoint.
    def validate_client_id(self, client_id: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        valid = super().validate_client_id(client_id, request, *args, **kwargs)
        return bool(valid) and not app_tokens.is_disabled(request.client)

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        valid = super().authenticate_client(request, *args, **kwargs)
        return bool(valid) and not app_tokens.is_disabled(request.client)

    def authenticate_client_id(
        self, client_id: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        valid = super().authenticate_client_id(client_id, request, *args, **kwargs)
        return bool(valid) and not app_tokens.is_disabled(request.client)

    def validate_code(
        self, client_id: Any, code: Any, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """The code's grant, claimed by this exchange alone; a replay revokes the first."""
        context = GrantContext.objects.filter(grant__code=code, grant__application=client).first()
        if context is None:
            return False
        if not codes.claim(context):
            codes.replayed(context)
            return False
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        request.carekey_context = context
        return True

    def invalidate_authorization_code(
        self, client_id: Any, code: Any, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        """Expire the grant instead of deleting it: a replay must still find its record."""
        expired = timezone.now() - timedelta(seconds=1)
        if not Grant.objects.filter(code=code, application=request.client).update(expires=expired):
            raise errors.InvalidGrantError(request=request)

    def _create_access_token(
        self, expires: Any, request: Any, token: Any, *args: Any, **kwargs: Any
    ) -> Any:
        access_token = super()._create_access_token(expires, request, token, *args, **kwargs)
        context = getattr(request, "carekey_context", None)
        if context is not None and getattr(request, "grant_type", "") == "authorization_code":
            codes.issued(context, access_token)
        return access_token

    def save_bearer_token(self, token: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        saved = super().save_bearer_token(token, request, *args, **kwargs)
        context = getattr(request, "carekey_context", None)
        if context is not None and getattr(request, "grant_type", "") == "authorization_code":
            codes.settle(context)
        return saved

    def validate_redirect_uri(
        self, client_id: Any, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Character for character one of the registered URIs (CONTRACT §8): no scheme or
        host case folding, no normalisation."""
        registered = str(request.client.redirect_uris).split()
        return redirect_uri in registered and super().validate_redirect_uri(
            client_id, redirect_uri, request, *args, **kwargs
        )

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        claims: dict[str, Any] = {
            "email": user.email,
            "email_verified": True,
            "name": user.name,
        }
        if user.fhir_user:
            claims["fhirUser"] = user.fhir_user
        context = getattr(request, "carekey_context", None)
        if context is not None:  # the ID token; userinfo has no sign-in to describe
            claims.update(acr=context.acr, amr=list(context.amr), sid=context.sid)
        return claims

    def get_id_token_dictionary(self, token: Any, token_handler: Any, request: Any) -> Any:
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        context = getattr(request, "carekey_context", None)
        if context is not None:
            claims["auth_time"] = int(context.auth_time.timestamp())
        return claims, expiration

    # prompt=none: the authorization view has already decided (signed in, nothing owed,
    # nothing to consent to); oauthlib leaves these unimplemented and would answer 500.
    def validate_silent_login(self, request: Any) -> bool:
        return True

    def validate_silent_authorization(self, request: Any) -> bool:
        return True
