from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "carekey.portal"
    label = "portal"
    verbose_name = "Portal"
