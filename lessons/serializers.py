from rest_framework import serializers

from guitaronline.core.api import ZonedDateTimeField
from lessons.models import HomeworkItem, Lesson
from lessons.services import HOMEWORK_DETAILS_MAX_LENGTH, HOMEWORK_TITLE_MAX_LENGTH


class HomeworkItemSerializer(serializers.ModelSerializer):
    lesson = serializers.IntegerField(source="lesson_id", read_only=True)

    class Meta:
        model = HomeworkItem
        fields = ["id", "lesson", "kind", "title", "details", "done", "done_at", "position"]
        read_only_fields = fields


class LessonSerializer(serializers.ModelSerializer):
    teacher = serializers.IntegerField(source="teacher_id", read_only=True)
    teacher_name = serializers.CharField(source="teacher.display_name", read_only=True)
    student = serializers.IntegerField(source="student_id", read_only=True)
    student_name = serializers.CharField(source="student.full_name", read_only=True)
    start_at = ZonedDateTimeField(read_only=True)
    end_at = ZonedDateTimeField(read_only=True)
    homework_items = HomeworkItemSerializer(many=True, read_only=True)

    class Meta:
        model = Lesson
        fields = [
            "id",
            "status",
            "teacher",
            "teacher_name",
            "student",
            "student_name",
            "start_at",
            "end_at",
            "notes",
            "homework",
            "homework_items",
            "meeting_url",
            "finished_at",
        ]


class LessonMarkSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    homework = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class LessonUpdateSerializer(LessonMarkSerializer):
    meeting_url = serializers.URLField(required=False, allow_blank=True, max_length=200)


class HomeworkItemCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=HomeworkItem.Kind.choices)
    title = serializers.CharField(max_length=HOMEWORK_TITLE_MAX_LENGTH)
    details = serializers.CharField(required=False, allow_blank=True, max_length=HOMEWORK_DETAILS_MAX_LENGTH)


class HomeworkItemUpdateSerializer(serializers.Serializer):
    """The teacher edits kind, title, details or position; the student sends only `done`."""

    kind = serializers.ChoiceField(choices=HomeworkItem.Kind.choices, required=False)
    title = serializers.CharField(max_length=HOMEWORK_TITLE_MAX_LENGTH, required=False)
    details = serializers.CharField(required=False, allow_blank=True, max_length=HOMEWORK_DETAILS_MAX_LENGTH)
    position = serializers.IntegerField(required=False, min_value=0, max_value=100000)
    done = serializers.BooleanField(required=False)
