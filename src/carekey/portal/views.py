"""Thin page views: translate forms to service calls and results to pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from carekey.accounts import services, throttle
from carekey.accounts.models import User
from carekey.mfa import services as mfa_services
from carekey.mfa.models import Factor
from carekey.portal.forms import SignInForm
from carekey.portal.navigation import SIGNIN, safe_next


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    next_path = safe_next(request.POST.get("next") or request.GET.get("next"))
    form = SignInForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_in(request, form.cleaned_data["email"], form.cleaned_data["password"])
        except services.InvalidCredentials:
            status = 400
        except throttle.Throttled as exc:
            status = 429
            retry_after = exc.retry_after
        else:
            return HttpResponseRedirect(next_path)
        form.add_error(None, services.GENERIC_FAILURE)
    elif request.method == "POST":
        status = 400
    response = render(
        request, "portal/signin.html", {"form": form, "next": next_path}, status=status
    )
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    services.sign_out(request)
    return HttpResponseRedirect(SIGNIN)


@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"nav": "home"})


@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    mfa_services.purge_expired_enrollments(user)
    factors = list(Factor.objects.filter(user=user))
    context = {
        "nav": "security",
        "factors": factors,
        "mfa_on": any(f.is_verified for f in factors),
        "recovery_codes_left": mfa_services.remaining_recovery_codes(user),
    }
    return render(request, "portal/security.html", context)
