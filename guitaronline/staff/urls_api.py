from django.urls import path

from guitaronline.staff import api

urlpatterns = [
    path("admin/kpi/overview", api.KpiOverviewApi.as_view(), name="admin-kpi-overview"),
    path("admin/ops/overview", api.OpsOverviewApi.as_view(), name="admin-ops-overview"),
    path("admin/finance/overview", api.FinanceOverviewApi.as_view(), name="admin-finance-overview"),
]
