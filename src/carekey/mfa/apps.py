from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "carekey.mfa"
    label = "mfa"
    verbose_name = "Two-step verification"

    def ready(self) -> None:
        """Register the factor kinds (mfa/kinds.py) once the models are loaded."""
        from carekey.mfa import passkey_kind, totp_kind  # noqa: F401
