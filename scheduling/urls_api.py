from django.urls import path

from scheduling import api

urlpatterns = [
    path("slots", api.SlotCreateApi.as_view(), name="scheduling-slots"),
    path("slots/recurring", api.SlotRecurringApi.as_view(), name="scheduling-slots-recurring"),
]
