from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "carekey.policy"
    label = "policy"
    verbose_name = "Organisation policy"
