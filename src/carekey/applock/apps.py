from django.apps import AppConfig


class AppLockConfig(AppConfig):
    name = "carekey.applock"
    label = "applock"
    verbose_name = "App lock"
