from django.http import HttpResponse
from django.urls import path
from pretix.multidomain import maindomain_urlconf


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/bare", bare), *maindomain_urlconf.urlpatterns]

handler404 = maindomain_urlconf.handler404
handler500 = maindomain_urlconf.handler500
