"""The project's URLs plus one view that fails, for the error-reporting tests
(tests/deploy/test_errors.py), which point ROOT_URLCONF here in their own
process; production never routes to it."""

from django.urls import path

from guitaronline.urls import urlpatterns as project_urlpatterns


def fail(request):
    raise RuntimeError("the view failed on purpose")


urlpatterns = [path("fail-on-purpose", fail), *project_urlpatterns]
