"""Booking API: /api/v1/booking/... (thin: parse, call one service, render)."""

from typing import cast

from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from audit.services import admin_action_record
from booking import selectors, services, waitlist
from booking.models import Booking, MoveProposal, Series, WaitlistEntry
from booking.serializers import (
    BookingSerializer,
    CancelRequestSerializer,
    ExpiredCountSerializer,
    HoldRequestSerializer,
    MoveProposalRequestSerializer,
    MoveProposalSerializer,
    RescheduleRequestSerializer,
    SeriesCancelSerializer,
    SeriesPreviewSerializer,
    SeriesSerializer,
    SeriesTermsSerializer,
    TeacherSlotSerializer,
    TimeOffCreatedSerializer,
    TimeOffSerializer,
    WaitlistEntrySerializer,
    WaitlistJoinSerializer,
)
from guitaronline.core.api import Pagination, error_responses
from guitaronline.core.authentication import PreferencesJWTAuthentication
from guitaronline.core.capabilities import Capability, StaffCan
from guitaronline.core.permissions import IsStudent, IsTeacher
from guitaronline.core.shared_answers import SLOT_AVAILABILITY, answer_key, shared_answer
from scheduling import selectors as scheduling_selectors
from scheduling.models import Slot
from scheduling.serializers import OpenSlotQuerySerializer, SlotRangeQuerySerializer, SlotSerializer


def _render(booking: Booking, *, code: int = status.HTTP_200_OK) -> Response:
    """Re-read through the selector so every answer has the same shape."""
    fresh = selectors.with_effective_status(
        Booking.objects.select_related("slot", "rescheduled_to").filter(Q(pk=booking.pk))
    ).get()
    return Response(BookingSerializer(fresh).data, status=code)


def _render_in_hand(booking: Booking, *, code: int = status.HTTP_200_OK) -> Response:
    """Answer from the booking a service just wrote, as `_render` would after
    reading it again: the hold and confirm services return it with its slot
    and its successor (none) loaded, and every field as saved."""
    return Response(BookingSerializer(selectors.with_effective_status_in_hand(booking)).data, status=code)


class HoldApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        tags=["booking"],
        request=HoldRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: BookingSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Hold an open slot. 409 `slot_unavailable`, `slot_too_soon` or `no_active_package`.",
    )
    @idempotent
    def post(self, request):
        data = HoldRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.booking_hold(student=request.user, slot_id=data.validated_data["slot_id"])
        return _render_in_hand(booking, code=status.HTTP_201_CREATED)


class ConfirmApi(APIView):
    @extend_schema(
        tags=["booking"],
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: BookingSerializer, **error_responses(401, 403, 404, 409)},
        description="Confirm a live hold (owner student). 409 `hold_expired`, `booking_not_active`, "
        "`no_active_package`.",
    )
    @idempotent
    def post(self, request, booking_id: int):
        booking = selectors.booking_for_user(user=request.user, booking_id=booking_id)
        return _render_in_hand(services.booking_confirm(booking=booking, actor=request.user))


class CancelApi(APIView):
    @extend_schema(
        tags=["booking"],
        request=CancelRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: BookingSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Cancel (owner student, the slot's teacher, staff). `lesson_returned` tells whether the "
        "lesson went back to the package. The slot's teacher gives a `reason` the student reads; their "
        "cancellation always returns the lesson and withdraws the slot.",
    )
    @idempotent
    def post(self, request, booking_id: int):
        booking = selectors.booking_for_user(user=request.user, booking_id=booking_id)
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        return _render(services.booking_cancel(booking=booking, actor=request.user, reason=reason))


class RescheduleApi(APIView):
    @extend_schema(
        tags=["booking"],
        request=RescheduleRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: BookingSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Cancel this confirmed booking and confirm `new_slot_id` instead, in one step. A retry "
        "returns the same new booking.",
    )
    @idempotent
    def post(self, request, booking_id: int):
        booking = selectors.booking_for_user(user=request.user, booking_id=booking_id)
        # the service checks who may reschedule before it reads the new slot id
        new_slot_id = request.data.get("new_slot_id") if isinstance(request.data, dict) else None
        successor = services.booking_reschedule(booking=booking, new_slot_id=new_slot_id, actor=request.user)
        return _render(successor, code=status.HTTP_201_CREATED)


class BookingDetailApi(APIView):
    @extend_schema(tags=["booking"], responses={200: BookingSerializer, **error_responses(401, 404)})
    def get(self, request, booking_id: int):
        return Response(BookingSerializer(selectors.booking_for_user(user=request.user, booking_id=booking_id)).data)


@extend_schema(
    tags=["booking"],
    parameters=[OpenApiParameter("status", str, enum=[s.value for s in Booking.Status])],
    responses={200: BookingSerializer(many=True), **error_responses(401)},
)
class MyBookingsApi(ListAPIView):
    """Own bookings (a teacher: the bookings of their slots)."""

    permission_classes = [IsAuthenticated]
    serializer_class = BookingSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Booking.objects.none()
        status_filter = serializers.ChoiceField(choices=Booking.Status.choices, required=False, allow_blank=True)
        try:
            status = status_filter.run_validation(self.request.query_params.get("status", ""))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"status": exc.detail}) from exc
        return selectors.bookings_for_user(user=self.request.user, status=status or None)


class ExpireHoldsApi(APIView):
    permission_classes = [StaffCan.to(Capability.EXPIRE_OVERDUE)]

    @extend_schema(tags=["booking"], request=None, responses={200: ExpiredCountSerializer, **error_responses(401, 403)})
    def post(self, request):
        expired = services.bookings_expire_holds(actor=request.user)
        admin_action_record(actor=request.user, action="admin.holds.expire", payload={"expired": expired})
        return Response({"expired": expired})


# --- the waitlist ------------------------------------------------------------------


@extend_schema(tags=["booking"], responses={200: WaitlistEntrySerializer(many=True), **error_responses(401, 403)})
class MyWaitlistApi(ListAPIView):
    """The student's active waitlist entries, each with its open offer (or null)."""

    permission_classes = [IsStudent]
    serializer_class = WaitlistEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return WaitlistEntry.objects.none()
        return selectors.waitlist_entries_for_student(student=self.request.user)


def _render_entry(entry: WaitlistEntry, *, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.waitlist_entries_for_student(student=entry.student).get(pk=entry.pk)
    return Response(WaitlistEntrySerializer(fresh).data, status=code)


class WaitlistJoinApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        tags=["booking"],
        request=WaitlistJoinSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: WaitlistEntrySerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Join a published teacher's waitlist, optionally for a weekday (0 = Monday) and a time "
        "window (`start_time`, `end_time`) in the student's time zone. 409 `already_on_waitlist`.",
    )
    @idempotent
    def post(self, request):
        data = WaitlistJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = waitlist.waitlist_join(student=request.user, **data.validated_data)
        return _render_entry(entry, code=status.HTTP_201_CREATED)


class WaitlistEntryApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(tags=["booking"], request=None, responses={204: None, **error_responses(401, 403, 404)})
    def delete(self, request, entry_id: int):
        """Leave the waitlist (own entry); an open offer passes to the next student."""
        entry = selectors.waitlist_entry_for_student(user=request.user, entry_id=entry_id)
        waitlist.waitlist_leave(entry=entry, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WaitlistOfferAcceptApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        tags=["booking"],
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: BookingSerializer, **error_responses(401, 403, 404, 409)},
        description="Hold the slot of an open offer (own offer); confirm the hold as any other. 409 "
        "`waitlist_offer_closed`, `slot_unavailable`, `no_active_package`.",
    )
    @idempotent
    def post(self, request, offer_id: int):
        offer = selectors.waitlist_offer_for_student(user=request.user, offer_id=offer_id)
        booking = services.waitlist_offer_accept(offer=offer, student=request.user)
        return _render(booking, code=status.HTTP_201_CREATED)


# --- slots (served under /api/v1/scheduling/: whether a slot is taken is booking's) -------

_RANGE_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.STR,
        description="Slots starting at or after this ISO 8601 date or datetime "
        "(a date or a datetime without offset is read in the viewer's time zone).",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.STR,
        description="Slots starting before this ISO 8601 datetime; a date includes that whole day.",
    ),
]


def _parsed_query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


OPEN_SLOT_FIELDS = ("id", "teacher_id", "start_at", "end_at")  # what SlotSerializer shows


class OpenSlotListApi(generics.ListAPIView):
    """Slots a student can hold now, by start time."""

    permission_classes = [AllowAny]
    serializer_class = SlotSerializer
    queryset = Slot.objects.none()  # for the schema; requests use the selector

    def get_authenticators(self):  # of the viewer, only the zone matters: no need to load the user
        return [
            type(authenticator)(from_token=True) if isinstance(authenticator, PreferencesJWTAuthentication)
            else authenticator
            for authenticator in super().get_authenticators()
        ]  # fmt: skip

    def get_queryset(self):
        query = _parsed_query(OpenSlotQuerySerializer, self.request)
        slots = selectors.open_slots(teacher_id=query.get("teacher"), start=query.get("from"), end=query.get("to"))
        return slots.select_related(None).only("id", "teacher", "start_at", "end_at")

    def list(self, request, *args, **kwargs):
        """One answer for everyone asking the same question, shared through the
        cache (`shared_answer`): the listing of the whole school counts every
        open slot, which no index makes cheap on a large school.

        Both levels are answers about slot availability, which every write
        that changes the listing outdates (`answers_outdated`): a student's
        own hold or cancel shows at once. Two levels, each fresh for
        half of OPEN_SLOTS_CACHE_SECONDS: the page
        in UTC, computed once per question; and, from it, the JSON answer in
        each viewer's time zone, so a shared answer costs one cache read. A
        date without offset in `from`/`to` is read in the viewer's zone, so the
        question is the URL and those bounds as read."""
        seconds = settings.OPEN_SLOTS_CACHE_SECONDS
        if not seconds:
            return super().list(request, *args, **kwargs)
        query = _parsed_query(OpenSlotQuerySerializer, request)
        question = (request.build_absolute_uri(), str(query.get("from")), str(query.get("to")))
        fresh = max(1, seconds // 2)

        def answer_in_this_zone() -> bytes:
            page = shared_answer(
                answer_key("open-slots", *question), fresh_seconds=fresh, compute=self._page, topic=SLOT_AVAILABILITY
            )
            slots = [Slot(**dict(zip(OPEN_SLOT_FIELDS, row, strict=True))) for row in page["slots"]]
            body = {key: page[key] for key in ("count", "next", "previous")}
            return JSONRenderer().render({**body, "results": self.get_serializer(slots, many=True).data})

        zone = timezone.get_current_timezone_name()
        key = answer_key("open-slots-json", *question, zone)
        answer = shared_answer(key, fresh_seconds=fresh, compute=answer_in_this_zone, topic=SLOT_AVAILABILITY)
        return HttpResponse(answer, content_type="application/json")

    def _page(self) -> dict:
        """The requested page of open slots as plain values (what the cache keeps)."""
        slots = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        paginator = cast(Pagination, self.paginator)  # the project's default: pages of a count
        return {
            "count": paginator.page.paginator.count if paginator.page else 0,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "slots": [tuple(getattr(slot, field) for field in OPEN_SLOT_FIELDS) for slot in slots],
        }

    @extend_schema(
        tags=["scheduling"],
        parameters=[OpenApiParameter("teacher", OpenApiTypes.INT, description="Teacher's user id"), *_RANGE_PARAMETERS],
        responses={200: SlotSerializer(many=True), **error_responses(400)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MySlotListApi(generics.ListAPIView):
    """The signed-in teacher's own slots with `taken`; without `from`, those not started yet."""

    permission_classes = [IsTeacher]
    serializer_class = TeacherSlotSerializer
    queryset = Slot.objects.none()  # for the schema; requests use the selector

    def get_queryset(self):
        query = _parsed_query(SlotRangeQuerySerializer, self.request)
        now = timezone.now()
        return selectors.teacher_slots_taken(
            teacher=self.request.user, start=query.get("from", now), end=query.get("to"), now=now
        )

    @extend_schema(
        tags=["scheduling"],
        parameters=_RANGE_PARAMETERS,
        responses={200: TeacherSlotSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SlotDetailApi(APIView):
    """DELETE removes a free future slot of the signed-in teacher; afterwards (or for
    anyone else's slot) the id is not found."""

    permission_classes = [IsTeacher]

    @extend_schema(tags=["scheduling"], responses={204: None, **error_responses(401, 403, 404, 409)})
    def delete(self, request, slot_id: int):
        slot = scheduling_selectors.slot_for_teacher(user=request.user, slot_id=slot_id)
        services.slot_remove(teacher=request.user, slot=slot)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TimeOffListApi(APIView):
    """The signed-in teacher's time off not over yet (GET), or new days off
    (POST): their free slots are removed; the lessons still booked in them
    come back in `bookings`, to cancel."""

    permission_classes = [IsTeacher]

    @extend_schema(tags=["scheduling"], responses={200: TimeOffSerializer(many=True), **error_responses(401, 403)})
    def get(self, request):
        return Response(TimeOffSerializer(selectors.time_off_for_teacher(teacher=request.user), many=True).data)

    @extend_schema(
        tags=["scheduling"],
        request=TimeOffSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: TimeOffCreatedSerializer, **error_responses(400, 401, 403, 409)},
    )
    @idempotent
    def post(self, request):
        given = TimeOffSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        time_off, removed = services.time_off_take(teacher=request.user, actor=request.user, **given.validated_data)
        time_off.bookings = list(selectors.bookings_in_time_off(time_off=time_off))
        time_off.slots_removed = removed  # type: ignore[attr-defined]  # for the answer only
        return Response(TimeOffCreatedSerializer(time_off).data, status=status.HTTP_201_CREATED)


class TimeOffDetailApi(APIView):
    """DELETE takes the signed-in teacher's time off back."""

    permission_classes = [IsTeacher]

    @extend_schema(tags=["scheduling"], responses={204: None, **error_responses(401, 403, 404)})
    def delete(self, request, time_off_id: int):
        time_off = scheduling_selectors.time_off_for_teacher(user=request.user, time_off_id=time_off_id)
        services.time_off_cancel(time_off=time_off, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- a teacher's proposals to move a lesson ------------------------------------------


class MoveProposeApi(APIView):
    @extend_schema(
        tags=["booking"],
        request=MoveProposalRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: MoveProposalSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="The lesson's teacher proposes another of their open slots; the student accepts or declines "
        "by `expires_at`. One pending proposal per booking (409 `proposal_pending`).",
    )
    @idempotent
    def post(self, request, booking_id: int):
        booking = selectors.booking_for_user(user=request.user, booking_id=booking_id)
        data = request.data if isinstance(request.data, dict) else {}
        proposal = services.booking_move_propose(
            booking=booking, teacher=request.user, new_slot_id=data.get("new_slot_id"), message=data.get("message", "")
        )
        return Response(MoveProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class MyProposalsApi(ListAPIView):
    """Proposals waiting for an answer: to the signed-in student's lessons, or made by the signed-in teacher."""

    permission_classes = [IsAuthenticated]
    serializer_class = MoveProposalSerializer
    pagination_class = None
    queryset = MoveProposal.objects.none()  # for the schema; requests use the selector

    def get_queryset(self):
        return selectors.proposals_for_user(user=self.request.user)

    @extend_schema(tags=["booking"], responses={200: MoveProposalSerializer(many=True), **error_responses(401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProposalAcceptApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        tags=["booking"],
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: BookingSerializer, **error_responses(401, 403, 404, 409)},
        description="The student accepts: the booking moves (the answer is the booking at the new time) and the "
        "package is unchanged. 409 `proposal_closed` when answered or run out, `slot_unavailable` when the time "
        "was taken meanwhile.",
    )
    @idempotent
    def post(self, request, proposal_id: int):
        proposal = selectors.proposal_for_student(user=request.user, proposal_id=proposal_id)
        return _render(services.move_proposal_accept(proposal=proposal, student=request.user))


class ProposalDeclineApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        tags=["booking"],
        request=None,
        responses={200: MoveProposalSerializer, **error_responses(401, 403, 404, 409)},
        description="The student declines: the lesson keeps its time; the teacher is told.",
    )
    def post(self, request, proposal_id: int):
        proposal = selectors.proposal_for_student(user=request.user, proposal_id=proposal_id)
        declined = services.move_proposal_decline(proposal=proposal, student=request.user)
        return Response(MoveProposalSerializer(declined).data)


# --- weekly series -------------------------------------------------------------------------


class SeriesPreviewApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        tags=["booking"],
        parameters=[SeriesTermsSerializer],
        responses={200: SeriesPreviewSerializer, **error_responses(400, 401, 403, 404)},
        description="The weeks a series from `slot_id` would book: `weeks`, up to `until`, or (neither) the next "
        "weeks of an open-ended one; `slot_id` is null where the teacher has no slot at that local time.",
    )
    def get(self, request):
        query = _parsed_query(SeriesTermsSerializer, request)
        weeks = selectors.series_preview(slot_id=query["slot_id"], weeks=query["weeks"], until=query["until"])
        return Response(SeriesPreviewSerializer({"weeks": weeks}).data)


class SeriesApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        tags=["booking"],
        request=SeriesTermsSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: SeriesSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Book a weekly series: every bookable week becomes a confirmed booking taking one lesson. "
        "409 `series_exceeds_package` when there are fewer lessons than bookable weeks (not for open-ended).",
    )
    @idempotent
    def post(self, request):
        terms = SeriesTermsSerializer(data=request.data)
        terms.is_valid(raise_exception=True)
        series, _, _ = services.series_book(student=request.user, **terms.validated_data)
        return Response(
            SeriesSerializer(selectors.series_of_user(user=request.user, series_id=series.pk)).data, status=201
        )


class MySeriesApi(ListAPIView):
    """The signed-in student's or teacher's weekly series, with their bookings."""

    permission_classes = [IsAuthenticated]
    serializer_class = SeriesSerializer
    queryset = Series.objects.none()  # for the schema; requests use the selector

    def get_queryset(self):
        return selectors.series_for_user(user=self.request.user)

    @extend_schema(tags=["booking"], responses={200: SeriesSerializer(many=True), **error_responses(401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SeriesCancelApi(APIView):
    @extend_schema(
        tags=["booking"],
        request=SeriesCancelSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: SeriesSerializer, **error_responses(400, 401, 403, 404)},
        description="Cancel `from_booking_id` and every later lesson of the series, each by the usual 24 h rule; "
        "the series ends.",
    )
    @idempotent
    def post(self, request, series_id: int):
        series = selectors.series_of_user(user=request.user, series_id=series_id)
        given = SeriesCancelSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.series_cancel(
            series=series, actor=request.user, from_booking_id=given.validated_data["from_booking_id"]
        )
        return Response(SeriesSerializer(selectors.series_of_user(user=request.user, series_id=series.pk)).data)
