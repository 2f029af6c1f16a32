from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from accounts.api import TeacherViewSet
from guitaronline import metrics
from guitaronline.core import views

router = SimpleRouter(trailing_slash=False)
router.register("teachers", TeacherViewSet, basename="teachers")

api_v1 = [
    path("", include("accounts.urls_api")),
    path("", include(router.urls)),
    path("scheduling/", include("scheduling.urls_api")),
    path("scheduling/", include("booking.urls_api_slots")),
    path("billing/", include("billing.urls_api")),
    path("lessons/", include("lessons.urls_api")),
    path("booking/", include("booking.urls_api")),
    path("notifications/", include("notifications.urls_api")),
    path("audit/", include("audit.urls_api")),
    path("", include("guitaronline.staff.urls_api")),
]

urlpatterns = [
    path("", views.landing, name="landing"),
    path("health", views.health, name="health"),
    path("ready", views.ready, name="ready"),
    # django-prometheus's export plus the domain gauges, also under gunicorn's multi-process mode
    path("metrics", metrics.metrics_view, name="prometheus-django-metrics"),
    path("accounts/", include("accounts.urls")),
    path("", include("booking.urls")),
    path("", include("billing.urls")),
    path("", include("lessons.urls")),
    path("", include("scheduling.urls")),
    path("", include("notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # last: whatever no API route took, DEBUG or not (also /api, which APPEND_SLASH would redirect)
    re_path(r"^api(?:/|$)", views.api_not_found),
]

handler400 = "guitaronline.core.views.bad_request"
handler403 = "guitaronline.core.views.permission_denied"
handler404 = "guitaronline.core.views.page_not_found"
handler500 = "guitaronline.core.views.server_error"
