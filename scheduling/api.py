"""Scheduling API: /api/v1/scheduling/... (thin views over selectors and services)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from guitaronline.core.api import error_responses
from guitaronline.core.authentication import PreferencesJWTAuthentication
from guitaronline.core.permissions import IsTeacher
from guitaronline.core.shared_answers import answer_key, shared_answer
from scheduling import selectors, services
from scheduling.models import Slot
from scheduling.serializers import (
    OpenSlotQuerySerializer,
    RecurringResultSerializer,
    SlotCreateSerializer,
    SlotRangeQuerySerializer,
    SlotRecurringSerializer,
    SlotSerializer,
    TeacherSlotSerializer,
)

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
            PreferencesJWTAuthentication(from_token=True) if type(authenticator) is PreferencesJWTAuthentication
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

        Two levels, each fresh for half of OPEN_SLOTS_CACHE_SECONDS: the page
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
            page = shared_answer(answer_key("open-slots", *question), fresh_seconds=fresh, compute=self._page)
            slots = [Slot(**dict(zip(OPEN_SLOT_FIELDS, row, strict=True))) for row in page["slots"]]
            body = {key: page[key] for key in ("count", "next", "previous")}
            return JSONRenderer().render({**body, "results": self.get_serializer(slots, many=True).data})

        zone = timezone.get_current_timezone_name()
        key = answer_key("open-slots-json", *question, zone)
        return HttpResponse(
            shared_answer(key, fresh_seconds=fresh, compute=answer_in_this_zone), content_type="application/json"
        )

    def _page(self) -> dict:
        """The requested page of open slots as plain values (what the cache keeps)."""
        slots = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return {
            "count": self.paginator.page.paginator.count,
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
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
        return selectors.teacher_slots(
            teacher=self.request.user, start=query.get("from", now), end=query.get("to"), now=now
        )

    @extend_schema(
        tags=["scheduling"],
        parameters=_RANGE_PARAMETERS,
        responses={200: TeacherSlotSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SlotCreateApi(APIView):
    permission_classes = [IsTeacher]

    @extend_schema(
        tags=["scheduling"],
        request=SlotCreateSerializer,
        responses={201: SlotSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        data = SlotCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = services.slot_create(teacher=request.user, **data.validated_data)
        return Response(SlotSerializer(slot).data, status=status.HTTP_201_CREATED)


class SlotRecurringApi(APIView):
    """Weekly slots from wall-clock times in the teacher's time zone."""

    permission_classes = [IsTeacher]

    @extend_schema(
        tags=["scheduling"],
        request=SlotRecurringSerializer,
        responses={201: RecurringResultSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        data = SlotRecurringSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.slot_create_recurring(teacher=request.user, **data.validated_data)
        return Response(RecurringResultSerializer(result).data, status=status.HTTP_201_CREATED)


class SlotDetailApi(APIView):
    """DELETE removes a free future slot of the signed-in teacher; afterwards (or for
    anyone else's slot) the id is not found."""

    permission_classes = [IsTeacher]

    @extend_schema(tags=["scheduling"], responses={204: None, **error_responses(401, 403, 404, 409)})
    def delete(self, request, slot_id: int):
        slot = selectors.slot_for_teacher(user=request.user, slot_id=slot_id)
        services.slot_delete(teacher=request.user, slot=slot)
        return Response(status=status.HTTP_204_NO_CONTENT)
