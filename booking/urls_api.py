from django.urls import path

from booking import api

urlpatterns = [
    path("holds", api.HoldApi.as_view(), name="booking-hold"),
    path("holds/expire", api.ExpireHoldsApi.as_view(), name="booking-holds-expire"),
    path("my", api.MyBookingsApi.as_view(), name="booking-my"),
    path("waitlist", api.WaitlistJoinApi.as_view(), name="booking-waitlist-join"),
    path("waitlist/my", api.MyWaitlistApi.as_view(), name="booking-waitlist-my"),
    path("waitlist/<int:entry_id>", api.WaitlistEntryApi.as_view(), name="booking-waitlist-entry"),
    path("waitlist/offers/<int:offer_id>/accept", api.WaitlistOfferAcceptApi.as_view(), name="booking-waitlist-accept"),
    path("series", api.SeriesApi.as_view(), name="booking-series"),
    path("series/preview", api.SeriesPreviewApi.as_view(), name="booking-series-preview"),
    path("series/my", api.MySeriesApi.as_view(), name="booking-series-my"),
    path("series/<int:series_id>/cancel", api.SeriesCancelApi.as_view(), name="booking-series-cancel"),
    path("proposals/my", api.MyProposalsApi.as_view(), name="booking-proposals-my"),
    path("proposals/<int:proposal_id>/accept", api.ProposalAcceptApi.as_view(), name="booking-proposal-accept"),
    path("proposals/<int:proposal_id>/decline", api.ProposalDeclineApi.as_view(), name="booking-proposal-decline"),
    path("<int:booking_id>", api.BookingDetailApi.as_view(), name="booking-detail"),
    path("<int:booking_id>/confirm", api.ConfirmApi.as_view(), name="booking-confirm"),
    path("<int:booking_id>/cancel", api.CancelApi.as_view(), name="booking-cancel"),
    path("<int:booking_id>/reschedule", api.RescheduleApi.as_view(), name="booking-reschedule"),
    path("<int:booking_id>/propose-move", api.MoveProposeApi.as_view(), name="booking-propose-move"),
]
