from django.contrib.admin.apps import AdminConfig


class GuitarOnlineAdminConfig(AdminConfig):
    """Django's admin with the school's staff console (KPI and ops dashboards)."""

    default_site = "guitaronline.admin_site.GuitarOnlineAdminSite"
