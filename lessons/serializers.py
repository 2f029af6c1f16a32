from rest_framework import serializers

from lessons.models import Lesson


class LessonSerializer(serializers.ModelSerializer):
    teacher = serializers.IntegerField(source="teacher_id", read_only=True)
    teacher_name = serializers.SerializerMethodField()
    student = serializers.IntegerField(source="student_id", read_only=True)
    student_name = serializers.CharField(source="student.full_name", read_only=True)

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
            "meeting_url",
            "finished_at",
        ]

    def get_teacher_name(self, lesson: Lesson) -> str:
        profile = getattr(lesson.teacher, "teacher_profile", None)
        return profile.display_name if profile else lesson.teacher.full_name


class LessonMarkSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    homework = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class LessonUpdateSerializer(LessonMarkSerializer):
    meeting_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
