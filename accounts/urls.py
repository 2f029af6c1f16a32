from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("password/reset/complete/", views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("profile/", views.profile, name="profile"),
    path("profile/calendar/rotate/", views.calendar_rotate, name="calendar-rotate"),
    path("profile/devices/sign-out-all/", views.logout_everywhere, name="logout-everywhere"),
    path("profile/devices/<str:device_id>/sign-out/", views.device_sign_out, name="device-sign-out"),
    path("profile/email/", views.email_change, name="email-change"),
    path("verify/", views.verify_status, name="verify-status"),
    path("verify/resend/", views.verify_resend, name="verify-resend"),
    path("verify/<str:token>/", views.verify_email, name="verify-email"),
    path("language/", views.set_language, name="set-language"),
    path("home/", views.home, name="home"),
    path("student/", views.student_home, name="student-home"),
    path("teacher/", views.teacher_home, name="teacher-home"),
    path("teacher/profile/", views.teacher_profile_edit, name="teacher-profile"),
]
