"""Account pages: register, login/logout, password reset and change, profile
(with the calendar feed link and its rotation), and the student and teacher
home pages. Thin: forms call services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts import selectors, services
from accounts.forms import (
    EmailAuthenticationForm,
    ProfileForm,
    RegisterForm,
    ServicePasswordChangeForm,
    ServiceSetPasswordForm,
    TeacherProfileForm,
)
from accounts.models import Language, Role
from guitaronline.core.pages import area_page
from guitaronline.core.ratelimits import auth_ratelimit


@auth_ratelimit("register")
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:home")
    initial = {"timezone": settings.DEFAULT_USER_TIMEZONE, "language": request.LANGUAGE_CODE}
    if request.GET.get("role") == Role.TEACHER:  # the landing page's "Teach with us"
        initial["role"] = Role.TEACHER
    form = RegisterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to GuitarOnline!"))
            return redirect("accounts:home")
    return render(request, "accounts/register.html", {"form": form})


@method_decorator(auth_ratelimit("login"), name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@method_decorator(auth_ratelimit("password_reset"), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/emails/password_reset.txt"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = ServiceSetPasswordForm
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = ServicePasswordChangeForm
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own area."""
    user = request.user
    if user.is_teacher:
        return redirect("booking:teacher-dashboard")
    if user.is_student:
        return redirect("booking:dashboard")
    if user.is_staff:
        return redirect("admin:index")
    return redirect("accounts:profile")  # an account with no area of its own


@area_page("student")
def student_home(request: HttpRequest) -> HttpResponse:
    """The student's dashboard lives with booking (it reads bookings, lessons
    and packages, which accounts may not import); this URL keeps working."""
    return redirect("booking:dashboard")


@area_page("teacher")
def teacher_home(request: HttpRequest) -> HttpResponse:
    """The teacher's dashboard lives with booking (it shows lessons and slots,
    which accounts may not import); this URL keeps working."""
    return redirect("booking:teacher-dashboard")


@area_page("teacher")
def teacher_profile_edit(request: HttpRequest) -> HttpResponse:
    profile = selectors.teacher_profile_for_user(user=request.user)
    form = TeacherProfileForm(request.POST or None, profile=profile)
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        messages.success(request, _("Your teacher profile has been saved."))
        return redirect("accounts:teacher-home")
    return render(request, "accounts/teacher_profile_form.html", {"form": form, "profile": profile})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        translation.activate(request.user.language)
        messages.success(request, _("Your profile has been saved."))
        return redirect("accounts:profile")
    return render(
        request, "accounts/profile.html", {"form": form, "calendar_url": request.user.get_calendar_feed_url()}
    )


@login_required
@require_POST
def calendar_rotate(request: HttpRequest) -> HttpResponse:
    """A new calendar feed link; the old one stops working at once."""
    services.user_calendar_token_rotate(user=request.user)
    messages.success(
        request,
        _("Your calendar link has been replaced. The old link no longer works: subscribe again with the new one."),
    )
    return redirect(f"{reverse('accounts:profile')}#calendar")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the page language; a signed-in user's choice is also saved."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in Language.values:
        services.user_update_profile(user=request.user, language=language)
    return django_set_language(request)
