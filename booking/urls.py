from django.urls import path

from booking import views

app_name = "booking"

urlpatterns = [
    path("student/", views.dashboard, name="dashboard"),
    path("teacher/", views.teacher_dashboard, name="teacher-dashboard"),
    path("teacher/schedule/", views.teacher_week, name="teacher-week"),
    path("teacher/schedule/<int:slot_id>/remove/", views.slot_remove, name="slot-remove"),
    path("teacher/bookings/<int:booking_id>/cancel/", views.teacher_cancel, name="teacher-cancel"),
    path("teacher/bookings/<int:booking_id>/move/", views.teacher_move, name="teacher-move"),
    path("teacher/time-off/", views.teacher_time_off, name="teacher-time-off"),
    path("teacher/time-off/<int:time_off_id>/remove/", views.time_off_cancel, name="time-off-remove"),
    path("teachers/", views.teacher_list, name="teacher-list"),
    path("teachers/<int:teacher_id>/", views.teacher_detail, name="teacher-detail"),
    path("teachers/<int:teacher_id>/hold/", views.hold, name="hold"),
    path("teachers/<int:teacher_id>/waitlist/", views.waitlist_join, name="waitlist-join"),
    path("waitlist/", views.waitlist_list, name="waitlist-list"),
    path("waitlist/<int:entry_id>/leave/", views.waitlist_leave, name="waitlist-leave"),
    path("waitlist/offers/<int:offer_id>/", views.waitlist_offer, name="waitlist-offer"),
    path("waitlist/offers/<int:offer_id>/accept/", views.waitlist_offer_accept, name="waitlist-accept"),
    path("bookings/", views.booking_list, name="booking-list"),
    path("series/", views.series_list, name="series-list"),
    path("series/new/", views.series_new, name="series-new"),
    path("series/<int:series_id>/cancel/", views.series_cancel, name="series-cancel"),
    path("bookings/<int:booking_id>/", views.booking_detail, name="booking-detail"),
    path("bookings/<int:booking_id>/confirm/", views.confirm, name="confirm"),
    path("bookings/<int:booking_id>/cancel/", views.cancel, name="cancel"),
    path("bookings/<int:booking_id>/reschedule/", views.reschedule, name="reschedule"),
    path(
        "bookings/proposals/<int:proposal_id>/accept/",
        views.proposal_answer,
        {"answer": "accept"},
        name="proposal-accept",
    ),
    path(
        "bookings/proposals/<int:proposal_id>/decline/",
        views.proposal_answer,
        {"answer": "decline"},
        name="proposal-decline",
    ),
]
