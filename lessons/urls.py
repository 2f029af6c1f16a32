from django.urls import path

from lessons import feeds, views

app_name = "lessons"

urlpatterns = [
    path("teacher/students/", views.student_list, name="students"),
    path("teacher/students/<int:student_id>/", views.student_history, name="student-history"),
    path("lessons/", views.lesson_list, name="list"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="detail"),
    path("lessons/<int:lesson_id>/mark/", views.lesson_mark, name="mark"),
    path("lessons/<int:lesson_id>/notes/", views.lesson_notes, name="notes"),
    path("lessons/<int:lesson_id>/homework/", views.homework_add, name="homework-add"),
    path("lessons/homework/<int:item_id>/remove/", views.homework_remove, name="homework-remove"),
    path("lessons/homework/<int:item_id>/done/", views.homework_done, name="homework-done"),
    path("lessons/teachers/<int:teacher_id>/", views.teacher_history, name="teacher-history"),
    path("calendar/<str:token>.ics", feeds.calendar_feed, name="calendar-feed"),
]
