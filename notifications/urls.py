from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read/", views.mark_all_read, name="mark-all-read"),
    path("notifications/<uuid:notification_id>/read/", views.mark_read, name="mark-read"),
    path("notifications/settings/", views.preferences_save, name="preferences"),
    path("notifications/telegram/link/", views.telegram_link, name="telegram-link"),
    path("notifications/telegram/unlink/", views.telegram_unlink, name="telegram-unlink"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
