from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _


class GuitarOnlineAdminSite(admin.AdminSite):
    site_header = _("GuitarOnline staff console")
    site_title = _("GuitarOnline staff")
    index_title = _("School administration")

    @property
    def login_form(self):  # type: ignore[override]  # read-only here: the form never changes
        """Staff log in under the login rule of the site and the API (paused after wrong passwords)."""
        from accounts.forms import StaffAuthenticationForm

        return StaffAuthenticationForm

    def index(self, request, extra_context=None):
        from guitaronline.core.capabilities import Capability, staff_can

        extra = {"can_see_finance": staff_can(request.user, Capability.MANAGE_PAYMENTS), **(extra_context or {})}
        return super().index(request, extra_context=extra)

    def get_urls(self):
        from guitaronline.staff import views

        return [
            path("dashboards/kpi/", self.admin_view(views.kpi_dashboard), name="kpi-dashboard"),
            path("dashboards/ops/", self.admin_view(views.ops_dashboard), name="ops-dashboard"),
            path("dashboards/finance/", self.admin_view(views.finance_dashboard), name="finance-dashboard"),
            path("dashboards/finance/export/", self.admin_view(views.finance_export), name="finance-export"),
            *super().get_urls(),
        ]
