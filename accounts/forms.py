from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.errors import InvalidCredentials, LoginPaused
from accounts.models import BUFFER_MINUTES_MAX, MIN_NOTICE_HOURS_MAX, Language, Level, Role, TeacherProfile, User
from accounts.validators import offered_timezones
from guitaronline.core.clients import client_ip
from guitaronline.core.errors import ApplicationError
from guitaronline.core.pages import form_errors


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in offered_timezones()]


class ServiceFormMixin:
    """`save()` calls a service; its ApplicationError becomes form errors."""

    service_field_map: dict[str, str] = {}

    def run_service(self, call):
        try:
            return call()
        except ApplicationError as error:
            form_errors(cast(forms.Form, self), error, self.service_field_map)  # mixed into forms only
            return None


class RegisterForm(ServiceFormMixin, forms.Form):
    service_field_map = {"password": "password1"}

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(
        label=_("I am a"),
        choices=[(Role.STUDENT, _("Student")), (Role.TEACHER, _("Teacher"))],
        initial=Role.STUDENT,
        widget=forms.RadioSelect,
    )
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=timezone_choices,
        widget=forms.Select(attrs={"data-guess-timezone": ""}),  # static/js/timezone-guess.js
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords do not match."))
        return cleaned

    def save(self) -> User | None:
        data = self.cleaned_data
        return self.run_service(
            lambda: services.user_register(
                email=data["email"],
                password=data["password1"],
                full_name=data["full_name"],
                role=data["role"],
                timezone_name=data["timezone"],
                language=data["language"],
            )
        )


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def save(self) -> None:
        services.password_reset_request(email=self.cleaned_data["email"])


class EmailChangeForm(ServiceFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("New e-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("We send a link to the new address; it replaces the old one once you open the link."),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def save(self) -> User | None:
        data = self.cleaned_data
        return self.run_service(
            lambda: services.user_change_email(user=self.user, email=data["email"], password=data["password"])
        )


class LoginRuleMixin(auth_forms.AuthenticationForm):
    """Django's login forms over the login rule of `services.auth_authenticate`
    (the API's too): a paused login is a form error."""

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is not None and password:
            try:
                # the login views pass the request
                self.user_cache = services.auth_authenticate(
                    email=email,
                    password=password,
                    source=client_ip(cast(HttpRequest, self.request)),
                )
            except LoginPaused as error:
                raise forms.ValidationError(str(error.message), code=error.code) from error
            except InvalidCredentials as error:
                raise self.get_invalid_login_error() from error
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class EmailAuthenticationForm(LoginRuleMixin, auth_forms.AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["username"])


class StaffAuthenticationForm(LoginRuleMixin, AdminAuthenticationForm):
    """The staff console's login, under the same rule."""


class ProfileForm(ServiceFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        kwargs.setdefault(
            "initial", {"full_name": user.full_name, "timezone": user.timezone, "language": user.language}
        )
        super().__init__(*args, **kwargs)
        if user.timezone not in offered_timezones():  # an older name the account already has stays choosable
            cast(forms.ChoiceField, self.fields["timezone"]).choices = [
                (user.timezone, user.timezone.replace("_", " ")),
                *timezone_choices(),
            ]

    def save(self) -> User | None:
        data = self.cleaned_data
        return self.run_service(
            lambda: services.user_update_profile(
                user=self.user, full_name=data["full_name"], timezone_name=data["timezone"], language=data["language"]
            )
        )


class TeacherProfileForm(ServiceFormMixin, forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150)
    bio = forms.CharField(
        label=_("About you"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )
    styles = forms.CharField(
        label=_("Styles"), required=False, max_length=255, help_text=_("e.g. rock, blues, fingerstyle")
    )
    levels = forms.MultipleChoiceField(
        label=_("Levels taught"), required=False, choices=Level.choices, widget=forms.CheckboxSelectMultiple
    )
    lesson_minutes = forms.IntegerField(label=_("Lesson length, minutes"), min_value=15, max_value=240)
    min_notice_hours = forms.IntegerField(
        label=_("Minimum notice, hours"), required=False, min_value=0, max_value=MIN_NOTICE_HOURS_MAX
    )
    buffer_minutes = forms.IntegerField(
        label=_("Buffer between lessons, minutes"),
        required=False,
        min_value=0,
        max_value=BUFFER_MINUTES_MAX,
        help_text=_(
            "Free time kept before and after each booked lesson: students cannot book a slot closer than this "
            "to another of your lessons. Empty or 0: no buffer."
        ),
    )

    def __init__(self, *args, profile: TeacherProfile, **kwargs):
        self.profile = profile
        kwargs.setdefault(
            "initial",
            {
                "display_name": profile.display_name,
                "bio": profile.bio,
                "styles": profile.styles,
                "levels": profile.levels,
                "lesson_minutes": profile.lesson_minutes,
                "min_notice_hours": profile.min_notice_hours,
                "buffer_minutes": profile.buffer_minutes,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["min_notice_hours"].help_text = _(
            "Students can book a lesson at the latest this many hours before it starts. "
            "Leave empty for the school's default (%(hours)d h)."
        ) % {"hours": settings.BOOKING_MIN_NOTICE_HOURS}

    def clean_buffer_minutes(self) -> int:
        return self.cleaned_data["buffer_minutes"] or 0  # empty: no buffer

    def save(self) -> TeacherProfile | None:
        data = self.cleaned_data
        return self.run_service(lambda: services.teacher_profile_update(profile=self.profile, **data))


class ServicePasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form for the page; the change itself goes through the service,
    which signs out every device but `keep_device` (the browser changing it)."""

    def __init__(self, *args, keep_device: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep_device = keep_device

    def save(self, commit: bool = True) -> User:
        return services.user_set_password(
            user=self.user, password=self.cleaned_data["new_password1"], keep_device=self.keep_device
        )


class ServiceSetPasswordForm(auth_forms.SetPasswordForm):
    """Password reset's last step, through the service (audit, tokens revoked)."""

    def save(self, commit: bool = True) -> User:
        return services.user_set_password(user=self.user, password=self.cleaned_data["new_password1"])
