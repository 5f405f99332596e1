from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "carekey.audit"
    label = "audit"
    verbose_name = "Audit"
