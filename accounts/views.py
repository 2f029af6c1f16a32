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
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from accounts import selectors, services, verification
from accounts.authentication import current_device
from accounts.forms import (
    EmailAuthenticationForm,
    EmailChangeForm,
    PasswordResetRequestForm,
    ProfileForm,
    RegisterForm,
    ServicePasswordChangeForm,
    ServiceSetPasswordForm,
    TeacherProfileForm,
)
from accounts.http import SignedInRequest
from accounts.models import Language, Role
from guitaronline.core.errors import ApplicationError
from guitaronline.core.pages import area_page, error_messages
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
    """Django's page with the school's form: the request only queues the
    e-mail (the worker sends it), whether or not the address has an account."""

    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetRequestForm  # type: ignore[assignment]  # queues the e-mail instead of sending it
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form):
        form.save()
        return redirect(self.success_url)


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

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "keep_device": current_device(self.request)}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed. Your other devices have been signed out."))
        return response


@login_required
def home(request: SignedInRequest) -> HttpResponse:
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
def teacher_profile_edit(request: SignedInRequest) -> HttpResponse:
    profile = selectors.teacher_profile_for_user(user=request.user)
    form = TeacherProfileForm(request.POST or None, profile=profile)
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        messages.success(request, _("Your teacher profile has been saved."))
        return redirect("accounts:teacher-home")
    return render(request, "accounts/teacher_profile_form.html", {"form": form, "profile": profile})


@login_required
def profile(request: SignedInRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        translation.activate(request.user.language)
        messages.success(request, _("Your profile has been saved."))
        return redirect("accounts:profile")
    return _profile_page(request, form=form)


def _profile_page(request: SignedInRequest, *, form=None, email_form=None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form or ProfileForm(user=request.user),
            "email_form": email_form or EmailChangeForm(user=request.user),
            "calendar_url": request.user.get_calendar_feed_url(),
            "devices": selectors.devices_signed_in(user=request.user, current=current_device(request)),
        },
        status=status,
    )


@login_required
@require_POST
def logout_everywhere(request: SignedInRequest) -> HttpResponse:
    """Sign out every device of the user, this browser too."""
    services.auth_logout_all(user=request.user)
    request.session.flush()
    messages.success(request, _("You have been logged out on every device."))
    return redirect("accounts:login")


@login_required
@require_POST
def device_sign_out(request: SignedInRequest, device_id: str) -> HttpResponse:
    """Sign out one of the user's other devices from the profile page (another's is not found)."""
    services.auth_device_end(user=request.user, device=device_id)
    messages.success(request, _("That device has been signed out."))
    return redirect(reverse("accounts:profile") + "#devices")


@login_required
@require_POST
def email_change(request: SignedInRequest) -> HttpResponse:
    """Ask for a new address (with the password): it takes effect once confirmed."""
    form = EmailChangeForm(request.POST, user=request.user)
    if not (form.is_valid() and (user := form.save()) is not None):
        return _profile_page(request, email_form=form, status=400)
    if user.pending_email:
        messages.success(
            request,
            _("We sent a link to %(email)s. Your address changes when you open it.") % {"email": user.pending_email},
        )
    else:
        messages.success(request, _("Your e-mail address is now %(email)s.") % {"email": user.email})
    return redirect(f"{reverse('accounts:profile')}#email")


@auth_ratelimit("verify")
@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the e-mail: a page with one button (a mail scanner that
    opens links confirms nothing), which confirms the address."""
    try:
        if request.method == "POST":
            user = services.email_verify(token=token)
        else:
            user, email = verification.token_read(token)
    except ApplicationError as error:
        return render(request, "accounts/verify_email.html", {"error": error}, status=400)
    if request.method == "GET":
        return render(request, "accounts/verify_email.html", {"email": email, "token": token})
    messages.success(request, _("Thank you: %(email)s is confirmed.") % {"email": user.email})
    return redirect("accounts:home" if request.user.is_authenticated else "accounts:login")


@login_required
def verify_status(request: SignedInRequest) -> HttpResponse:
    """Where a refusal for an unconfirmed address leads: what to do, and the button to send the link again."""
    return render(request, "accounts/verify_status.html", {"email": verification.address_to_confirm(request.user)})


@login_required
@require_POST
def verify_resend(request: SignedInRequest) -> HttpResponse:
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("accounts:verify-status")
    if verification.resend_limited(request):
        messages.error(
            request,
            _("The link has been sent several times already. Look for it in your mail, or try again in an hour."),
        )
        return redirect(back)
    try:
        email = services.email_verification_resend(user=request.user)
    except ApplicationError as error:
        error_messages(request, error)
    else:
        messages.success(request, _("We sent the link again to %(email)s.") % {"email": email})
    return redirect(back)


@login_required
@require_POST
def calendar_rotate(request: SignedInRequest) -> HttpResponse:
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
