from django.urls import path

from accounts import api

urlpatterns = [
    path("identity/auth/register", api.RegisterApi.as_view(), name="auth-register"),
    path("identity/auth/login", api.LoginApi.as_view(), name="auth-login"),
    path("identity/auth/refresh", api.RefreshApi.as_view(), name="auth-refresh"),
    path("identity/auth/logout", api.LogoutApi.as_view(), name="auth-logout"),
    path("identity/auth/logout-all", api.LogoutAllApi.as_view(), name="auth-logout-all"),
    path("identity/auth/password-reset", api.PasswordResetApi.as_view(), name="auth-password-reset"),
    path("identity/auth/verify", api.VerifyApi.as_view(), name="auth-verify"),
    path("identity/auth/verify/resend", api.VerifyResendApi.as_view(), name="auth-verify-resend"),
    path("identity/users/me/email", api.EmailChangeApi.as_view(), name="users-me-email"),
    path("identity/users/me", api.MeApi.as_view(), name="users-me"),
    path("identity/users/me/password", api.PasswordChangeApi.as_view(), name="users-me-password"),
    path("identity/users/me/sessions", api.DevicesApi.as_view(), name="users-me-sessions"),
    path("identity/users/me/sessions/<str:device_id>/end", api.DeviceEndApi.as_view(), name="users-me-session-end"),
    path("identity/users/me/calendar", api.CalendarFeedApi.as_view(), name="users-me-calendar"),
    path("identity/users/me/calendar/rotate", api.CalendarFeedRotateApi.as_view(), name="users-me-calendar-rotate"),
]
