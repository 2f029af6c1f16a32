from django.urls import path

from booking import api

urlpatterns = [
    path("holds", api.HoldApi.as_view(), name="booking-hold"),
    path("holds/expire", api.ExpireHoldsApi.as_view(), name="booking-holds-expire"),
    path("my", api.MyBookingsApi.as_view(), name="booking-my"),
    path("<int:booking_id>", api.BookingDetailApi.as_view(), name="booking-detail"),
    path("<int:booking_id>/confirm", api.ConfirmApi.as_view(), name="booking-confirm"),
    path("<int:booking_id>/cancel", api.CancelApi.as_view(), name="booking-cancel"),
    path("<int:booking_id>/reschedule", api.RescheduleApi.as_view(), name="booking-reschedule"),
]
