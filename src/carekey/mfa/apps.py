from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "carekey.mfa"
    label = "mfa"
    verbose_name = "Two-step verification"
