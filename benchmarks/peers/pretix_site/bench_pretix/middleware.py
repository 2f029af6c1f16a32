from django.conf import settings
from django.urls import set_urlconf

MAIN_DOMAIN_URLCONF = "pretix.multidomain.maindomain_urlconf"


class BenchURLconfMiddleware:
    """pretix's main domain served by ROOT_URLCONF (its URLs plus /bench/bare)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(request, "urlconf", None) == MAIN_DOMAIN_URLCONF:
            request.urlconf = settings.ROOT_URLCONF
            set_urlconf(request.urlconf)
        return self.get_response(request)
