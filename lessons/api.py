"""Lessons API: /api/v1/lessons/... (thin)."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from guitaronline.core.api import error_responses
from lessons import selectors, services
from lessons.models import Lesson
from lessons.serializers import (
    HomeworkItemCreateSerializer,
    HomeworkItemSerializer,
    HomeworkItemUpdateSerializer,
    LessonMarkSerializer,
    LessonSerializer,
    LessonUpdateSerializer,
)


class _Filters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Lesson.Status.choices, required=False)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)


@extend_schema(
    tags=["lessons"],
    parameters=[
        OpenApiParameter("status", str, enum=Lesson.Status.values),
        OpenApiParameter("from", str, description="ISO 8601 date-time; lessons starting at or after"),
        OpenApiParameter("to", str, description="ISO 8601 date-time; lessons starting before"),
    ],
    responses={200: LessonSerializer(many=True), **error_responses(400, 401)},
)
class MyLessonsApi(ListAPIView):
    """Own lessons: a student's lessons or the lessons a teacher gives."""

    permission_classes = [IsAuthenticated]
    serializer_class = LessonSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Lesson.objects.none()
        params = self.request.query_params
        given = {"status": params.get("status"), "start": params.get("from"), "end": params.get("to")}
        filters = _Filters(data={name: value for name, value in given.items() if value})
        filters.is_valid(raise_exception=True)
        return selectors.with_homework(selectors.lessons_for_user(user=self.request.user, **filters.validated_data))


class LessonDetailApi(APIView):
    @extend_schema(tags=["lessons"], responses={200: LessonSerializer, **error_responses(401, 404)})
    def get(self, request, lesson_id: int):
        return Response(LessonSerializer(selectors.lesson_for_user(user=request.user, lesson_id=lesson_id)).data)

    @extend_schema(
        tags=["lessons"],
        request=LessonUpdateSerializer,
        responses={200: LessonSerializer, **error_responses(400, 401, 404, 409)},
        description="The lesson's teacher updates notes, homework and the meeting link.",
    )
    def patch(self, request, lesson_id: int):
        lesson = selectors.lesson_for_teacher(user=request.user, lesson_id=lesson_id)
        data = LessonUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = services.lesson_update_notes(lesson=lesson, actor=request.user, **data.validated_data)
        return Response(LessonSerializer(lesson).data)


class _MarkApi(APIView):
    status_value: str = ""

    @idempotent
    def post(self, request, lesson_id: int):
        lesson = selectors.lesson_for_teacher(user=request.user, lesson_id=lesson_id)
        data = LessonMarkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = services.lesson_mark(
            lesson=lesson, status=self.status_value, actor=request.user, **data.validated_data
        )
        return Response(LessonSerializer(selectors.lesson_for_user(user=request.user, lesson_id=lesson.pk)).data)


_mark_schema: dict[str, Any] = {
    "tags": ["lessons"],
    "request": LessonMarkSerializer,
    "parameters": [IDEMPOTENCY_KEY_PARAMETER],
    "responses": {200: LessonSerializer, **error_responses(400, 401, 404, 409)},
}


class CompleteApi(_MarkApi):
    status_value = Lesson.Status.COMPLETED

    @extend_schema(**_mark_schema, description="The lesson's teacher marks it completed (after its start).")
    def post(self, request, lesson_id: int):
        return super().post(request, lesson_id)


class NoShowApi(_MarkApi):
    status_value = Lesson.Status.NO_SHOW

    @extend_schema(**_mark_schema, description="The lesson's teacher marks the student absent (after the start).")
    def post(self, request, lesson_id: int):
        return super().post(request, lesson_id)


# --- homework items --------------------------------------------------------------------


class HomeworkAddApi(APIView):
    @extend_schema(
        tags=["lessons"],
        request=HomeworkItemCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: HomeworkItemSerializer, **error_responses(400, 401, 404, 409)},
        description="The lesson's teacher adds a homework item (`piece`, `technique` or `practice_target`). "
        "409 `lesson_canceled`.",
    )
    @idempotent
    def post(self, request, lesson_id: int):
        lesson = selectors.lesson_for_teacher(user=request.user, lesson_id=lesson_id)
        data = HomeworkItemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.homework_item_add(lesson=lesson, actor=request.user, **data.validated_data)
        return Response(HomeworkItemSerializer(item).data, status=status.HTTP_201_CREATED)


class HomeworkItemApi(APIView):
    @extend_schema(
        tags=["lessons"],
        request=HomeworkItemUpdateSerializer,
        responses={200: HomeworkItemSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="The lesson's teacher edits `kind`, `title`, `details`, `position`; the lesson's student "
        'sends only `{"done": true|false}`. Anything else is 403 and changes nothing.',
    )
    def patch(self, request, item_id: int):
        item = selectors.homework_item_for_user(user=request.user, item_id=item_id)
        data = HomeworkItemUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.homework_item_update(item=item, actor=request.user, **data.validated_data)
        return Response(HomeworkItemSerializer(item).data)

    @extend_schema(tags=["lessons"], request=None, responses={204: None, **error_responses(401, 403, 404, 409)})
    def delete(self, request, item_id: int):
        """The lesson's teacher removes a homework item."""
        item = selectors.homework_item_for_user(user=request.user, item_id=item_id)
        services.homework_item_remove(item=item, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
