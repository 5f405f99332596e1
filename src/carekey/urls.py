"""URL configuration: the portal pages, the JSON API and the staff admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from carekey.api import api
from carekey.oidc.discovery import DiscoveryView
from carekey.portal import mfa_views, passkey_views, password_views, session_views, views

FAVICON = settings.STATIC_URL + "carekey/favicon.svg"  # whitenoise serves it

handler400 = "carekey.gate.errors.bad_request"
handler404 = "carekey.gate.errors.not_found"
handler500 = "carekey.gate.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="home", permanent=False), name="root"),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (the admin, the API docs).
    path("favicon.ico", RedirectView.as_view(url=FAVICON, permanent=False), name="favicon"),
    path("portal/", views.home, name="home"),
    path("portal/signin", views.signin, name="signin"),
    path("portal/signin/verify", views.signin_verify, name="signin-verify"),
    path("portal/signout", views.signout, name="signout"),
    path("portal/security", views.security, name="security"),
    path("portal/security/factors", mfa_views.start_enrollment, name="factor-add"),
    path(
        "portal/security/factors/<uuid:factor_id>/verify",
        mfa_views.verify_enrollment,
        name="factor-verify",
    ),
    path(
        "portal/security/factors/<uuid:factor_id>/cancel",
        mfa_views.cancel_enrollment,
        name="factor-cancel",
    ),
    path(
        "portal/security/factors/<uuid:factor_id>/remove",
        mfa_views.remove_factor,
        name="factor-remove",
    ),
    path(
        "portal/security/recovery-codes",
        mfa_views.generate_recovery_codes,
        name="recovery-codes",
    ),
    path(
        "portal/security/recovery-codes/done",
        mfa_views.recovery_codes_saved,
        name="recovery-codes-saved",
    ),
    path("portal/security/passkeys/new", passkey_views.add_passkey, name="passkey-add"),
    path("portal/security/password", password_views.change_password, name="password-change"),
    path("portal/password/reset", password_views.request_reset, name="password-reset"),
    path("portal/password/reset/sent", password_views.reset_sent, name="password-reset-sent"),
    path(
        "portal/password/reset/<str:token>",
        password_views.reset_with_link,
        name="password-reset-link",
    ),
    path("portal/security/app-lock", session_views.save_app_lock, name="app-lock"),
    path(
        "portal/security/sessions/others",
        session_views.sign_out_other_devices,
        name="devices-signout-others",
    ),
    path(
        "portal/security/sessions/<str:device_id>/signout",
        session_views.sign_out_device,
        name="device-signout",
    ),
    path(
        "portal/security/apps/<str:client_id>/disconnect",
        session_views.disconnect_app,
        name="app-disconnect",
    ),
    path("portal/lock", session_views.lock_now, name="lock"),
    path("portal/locked", session_views.locked, name="locked"),
    path("o/", include("carekey.oidc.urls")),
    path(".well-known/openid-configuration", DiscoveryView.as_view(), name="oidc-discovery"),
    path("api/v1/", api.urls),  # django-ninja names each operation (namespace "api")
    path("admin/", admin.site.urls),  # the admin names its own ("admin:…")
    path("i18n/", include("django.conf.urls.i18n")),  # "set_language"
]
