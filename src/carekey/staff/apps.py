"""Two apps from one package: Django's admin on CareKey's site, and the desk's permissions."""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class CareKeyAdminConfig(AdminConfig):
    default_site = "carekey.staff.site.CareKeyAdminSite"


class StaffConfig(AppConfig):
    """The support desk's own permissions, so "carekey.reset_mfa" can be granted.

    Being staff only opens the admin; what a staff member may change comes from
    permissions, and Django ties a permission to an installed app's model.
    """

    name = "carekey.staff"
    label = "carekey"
    verbose_name = "Support desk"
