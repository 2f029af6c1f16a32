from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("packages/", views.package_list, name="package-list"),
    path("buy/", views.product_list, name="product-list"),
    path("buy/<int:product_id>/", views.checkout, name="checkout"),
    path("payments/<int:payment_id>/", views.payment_detail, name="payment-detail"),
]
