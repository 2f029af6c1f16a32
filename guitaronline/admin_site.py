from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _


class GuitarOnlineAdminSite(admin.AdminSite):
    site_header = _("GuitarOnline staff console")
    site_title = _("GuitarOnline staff")
    index_title = _("School administration")

    def get_urls(self):
        from guitaronline.staff import views

        return [
            path("dashboards/kpi/", self.admin_view(views.kpi_dashboard), name="kpi-dashboard"),
            path("dashboards/ops/", self.admin_view(views.ops_dashboard), name="ops-dashboard"),
            *super().get_urls(),
        ]
