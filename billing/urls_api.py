from django.urls import include, path
from rest_framework.routers import SimpleRouter

from billing.api import PackageViewSet, PaymentViewSet

router = SimpleRouter(trailing_slash=False)
router.register("packages", PackageViewSet, basename="billing-packages")
router.register("payments", PaymentViewSet, basename="billing-payments")

urlpatterns = [
    path("", include(router.urls)),
]
