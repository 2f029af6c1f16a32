from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    return HttpResponse("ok")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("appointment/", include("appointment.urls")),
    path("bench/bare", bare),
]
