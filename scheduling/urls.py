from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("teacher/schedule/add/", views.slot_add, name="slot-add"),
    path("teacher/schedule/recurring/", views.slot_add_recurring, name="slot-add-recurring"),
]
