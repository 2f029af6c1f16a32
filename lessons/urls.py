from django.urls import path

from lessons import views

app_name = "lessons"

urlpatterns = [
    path("teacher/students/", views.student_list, name="students"),
    path("teacher/students/<int:student_id>/", views.student_history, name="student-history"),
    path("lessons/", views.lesson_list, name="list"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="detail"),
    path("lessons/<int:lesson_id>/mark/", views.lesson_mark, name="mark"),
    path("lessons/<int:lesson_id>/notes/", views.lesson_notes, name="notes"),
]
