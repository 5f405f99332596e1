from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "carekey.oidc"
    label = "oidc"
    verbose_name = "OpenID Connect"
