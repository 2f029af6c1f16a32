from django.urls import path

from scheduling import api

urlpatterns = [
    path("slots", api.SlotCreateApi.as_view(), name="scheduling-slots"),
    path("slots/open", api.OpenSlotListApi.as_view(), name="scheduling-slots-open"),
    path("slots/my", api.MySlotListApi.as_view(), name="scheduling-slots-my"),
    path("slots/recurring", api.SlotRecurringApi.as_view(), name="scheduling-slots-recurring"),
    path("slots/<int:slot_id>", api.SlotDetailApi.as_view(), name="scheduling-slot-detail"),
]
