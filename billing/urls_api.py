from django.urls import include, path
from rest_framework.routers import SimpleRouter

from billing import api
from billing.api import PackageViewSet, PaymentViewSet

router = SimpleRouter(trailing_slash=False)
router.register("packages", PackageViewSet, basename="billing-packages")
router.register("payments", PaymentViewSet, basename="billing-payments")

urlpatterns = [
    path("products", api.ProductListApi.as_view(), name="billing-products"),
    path("checkout", api.CheckoutApi.as_view(), name="billing-checkout"),
    path("webhooks/<str:provider>", api.WebhookApi.as_view(), name="billing-webhook"),
    path("", include(router.urls)),
]
