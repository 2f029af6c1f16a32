"""Slot routes under /api/v1/scheduling/ that need to know whether a slot is
taken, which only booking knows (ARCHITECTURE.md): the open-slot listing, a
teacher's slots with `taken`, removing a slot, and time off (which removes
the free slots in it)."""

from django.urls import path

from booking import api

urlpatterns = [
    path("slots/open", api.OpenSlotListApi.as_view(), name="scheduling-slots-open"),
    path("slots/my", api.MySlotListApi.as_view(), name="scheduling-slots-my"),
    path("slots/<int:slot_id>", api.SlotDetailApi.as_view(), name="scheduling-slot-detail"),
    path("time-off", api.TimeOffListApi.as_view(), name="scheduling-time-off"),
    path("time-off/<int:time_off_id>", api.TimeOffDetailApi.as_view(), name="scheduling-time-off-detail"),
]
