from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "carekey.accounts"
    label = "accounts"
    verbose_name = "Accounts"
