from django.contrib.admin.apps import AdminConfig


class CareKeyAdminConfig(AdminConfig):
    default_site = "carekey.staff.site.CareKeyAdminSite"
