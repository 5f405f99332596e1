"""The discovery document, completed where django-oauth-toolkit 3.4 leaves gaps: the
revocation and introspection endpoints, the acr values and the claims CareKey issues."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from oauth2_provider.views import ConnectDiscoveryInfoView

from carekey.oidc.claims import ACR_VALUES

CLAIMS = [
    "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid",
    "email", "email_verified", "name", "fhirUser",
]  # fmt: skip


class DiscoveryView(ConnectDiscoveryInfoView):  # type: ignore[misc]
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data.update(
            revocation_endpoint=request.build_absolute_uri(reverse("oauth2_provider:revoke-token")),
            introspection_endpoint=request.build_absolute_uri(
                reverse("oauth2_provider:introspect")
            ),
            acr_values_supported=list(ACR_VALUES),
            claims_supported=CLAIMS,
            code_challenge_methods_supported=["S256"],
            grant_types_supported=["authorization_code", "refresh_token"],
        )
        answer = JsonResponse(data)
        answer["Access-Control-Allow-Origin"] = "*"
        return answer
