from django.urls import path

from lessons import api

urlpatterns = [
    path("my", api.MyLessonsApi.as_view(), name="lessons-my"),
    path("<int:lesson_id>", api.LessonDetailApi.as_view(), name="lesson-detail"),
    path("<int:lesson_id>/complete", api.CompleteApi.as_view(), name="lesson-complete"),
    path("<int:lesson_id>/no-show", api.NoShowApi.as_view(), name="lesson-no-show"),
    path("<int:lesson_id>/homework", api.HomeworkAddApi.as_view(), name="lesson-homework"),
    path("homework/<int:item_id>", api.HomeworkItemApi.as_view(), name="lesson-homework-item"),
]
