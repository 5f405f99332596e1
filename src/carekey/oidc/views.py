"""The authorization endpoint, in front of django-oauth-toolkit's: CareKey's own session
rules first (second step owed, locked, the level asked for, max_age, prompt=none), then
the toolkit, told how this session authenticated so the ID token can say it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView, TokenView

from carekey import clock
from carekey.accounts import session_state, sessions
from carekey.accounts.models import User
from carekey.applock import services as applock
from carekey.audit.record import record
from carekey.mfa.services import has_passkey
from carekey.navigation import LOCKED, SIGNIN, VERIFY, redirect_to, redirect_with_next
from carekey.oidc import claims, passkey_step_up, step_up
from carekey.oidc.validator import CONTEXT


def _error_redirect(request: HttpRequest, error: str, description: str) -> HttpResponse | None:
    """`error` sent back to the client's registered redirect URI (None if it is not valid:
    nothing is ever sent to an address the client did not register)."""
    view = AuthorizationView()
    view.request = request
    try:
        _scopes, credentials = view.validate_authorization_request(request)
    except Exception:
        return None
    query = {"error": error, "error_description": description}
    if credentials.get("state"):
        query["state"] = credentials["state"]
    # RFC 9207: say who answers, as the toolkit does on its own answers (mix-up defence).
    query["iss"] = oauth2_settings.oidc_issuer(request)
    uri = credentials["redirect_uri"]
    return HttpResponseRedirect(f"{uri}{'&' if '?' in uri else '?'}{urlencode(query)}")


def _needs_consent(request: HttpRequest) -> bool:
    """The consent page would be shown: the client asks for it and holds no live token."""
    client = Application.objects.filter(client_id=request.GET.get("client_id", "")).first()
    if client is None or client.skip_authorization:
        return False
    live = AccessToken.objects.filter(
        user=request.user, application=client, expires__gt=timezone.now()
    )
    return not live.exists()


def _sign_in_again(request: HttpRequest, satisfied: str) -> HttpResponse:
    """To the sign-in page, and back here without `satisfied`: the fresh sign-in meets it
    (a max_age of 0 would otherwise send the patient round for ever)."""
    query = request.GET.copy()
    query.pop(satisfied, None)
    return redirect_to(SIGNIN, f"{request.path_info}?{query.urlencode()}")


class CareKeyAuthorizationView(AuthorizationView):  # type: ignore[misc]
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = self._before_the_toolkit(request)
        if refused is not None:
            return refused
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    def _before_the_toolkit(self, request: HttpRequest) -> HttpResponse | None:
        prompt = set(request.GET.get("prompt", "").split())
        signed_in = request.user.is_authenticated
        if "none" in prompt and not signed_in:
            return _error_redirect(request, "login_required", "Sign in first.")
        if not signed_in:
            return None  # the toolkit sends the patient to sign in, then back here
        if sessions.awaits_second_factor(request.session):
            return self._interaction(request, prompt) or redirect_with_next(VERIFY, request)
        if applock.is_locked(request):
            return self._interaction(request, prompt) or redirect_with_next(LOCKED, request)
        if self._too_old(request):
            return self._interaction(request, prompt) or _sign_in_again(request, "max_age")
        wanted = request.GET.get("acr_values", "").split()
        assurance = claims.of_session(request.session, clock.timestamp())
        if not claims.meets(assurance.acr, wanted):
            return self._step_up(request, prompt, claims.lowest(wanted))
        if "none" in prompt and _needs_consent(request):
            return _error_redirect(request, "interaction_required", "Consent is needed first.")
        if session_state.return_to(request.session) == request.get_full_path_info():
            session_state.pop_return_to(request.session)  # the step-up it waited for is done
        return None

    def _step_up(
        self, request: HttpRequest, prompt: set[str], level: str | None
    ) -> HttpResponse | None:
        """A higher level than this session's. aal2 in an aal1 session: such a patient has
        no factor yet (one who has one owes the second step at every sign-in), so offer
        to set one up. phr: use a passkey, or add one (passkey_step_up)."""
        cancelled = request.GET.get(step_up.CANCELLED) == "cancelled"
        if level == passkey_step_up.LEVEL:
            user = request.user
            if "none" in prompt and not cancelled and isinstance(user, User) and has_passkey(user):
                return _error_redirect(
                    request, "interaction_required", "The patient must use a passkey first."
                )
            if "none" not in prompt and not cancelled:
                return passkey_step_up.start(request)
            return _error_redirect(
                request,
                "unmet_authentication_requirements",
                "This app needs a passkey, which the patient has not used.",
            )
        if "none" not in prompt and not cancelled:
            return step_up.start(request)
        return _error_redirect(
            request,
            "unmet_authentication_requirements",
            "This app needs two-step verification, which the patient has not set up.",
        )

    @staticmethod
    def _interaction(request: HttpRequest, prompt: set[str]) -> HttpResponse | None:
        if "none" not in prompt:
            return None
        return _error_redirect(request, "interaction_required", "The patient must act first.")

    @staticmethod
    def _too_old(request: HttpRequest) -> bool:
        raw = request.GET.get("max_age", "").strip()
        if not raw.isdigit():
            return False
        assurance = claims.of_session(request.session, clock.timestamp())
        return clock.timestamp() - assurance.auth_time.timestamp() > int(raw)

    def create_authorization_response(
        self, request: HttpRequest, scopes: Any, credentials: dict[str, Any], allow: bool
    ) -> Any:
        credentials[CONTEXT] = claims.of_session(request.session, clock.timestamp())
        client_id = credentials["client_id"]
        try:
            answer = super().create_authorization_response(request, scopes, credentials, allow)
        except OAuthToolkitError:
            if not allow:  # "Deny": the toolkit answers access_denied by raising
                record("oidc.denied", user=request.user, request=request, client_id=client_id)
            raise
        record("oidc.authorized", user=request.user, request=request, client_id=client_id)
        return answer


class CareKeyTokenView(TokenView):  # type: ignore[misc]
    """The toolkit's token endpoint, answering invalid_grant (not 500) when a replay of
    the code revoked the token between its creation and the toolkit reading it back."""

    def authorization_flow_token_response(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        try:
            response: HttpResponse = super().authorization_flow_token_response(
                request, *args, **kwargs
            )
        except AccessToken.DoesNotExist:
            body = {"error": "invalid_grant", "error_description": "The code was used twice."}
            return JsonResponse(body, status=400)
        return response
