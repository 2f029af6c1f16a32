from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("packages/", views.package_list, name="package-list"),
]
