from django.urls import path

from lessons import api

urlpatterns = [
    path("my", api.MyLessonsApi.as_view(), name="lessons-my"),
    path("<int:lesson_id>", api.LessonDetailApi.as_view(), name="lesson-detail"),
    path("<int:lesson_id>/complete", api.CompleteApi.as_view(), name="lesson-complete"),
    path("<int:lesson_id>/no-show", api.NoShowApi.as_view(), name="lesson-no-show"),
]
