import math

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guitaronline.core.errors import ApplicationError, Conflict, InvalidInput


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = _("A user with this e-mail already exists.")

    def __init__(self, message=None, *, details=None, code=None):
        super().__init__(message, details=details, code=code)
        if self.details is None:  # on the e-mail field of a form, and in the API's details
            self.details = {"email": [str(self.message)]}


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    status_code = 401
    default_message = _("E-mail or password is incorrect.")


class LoginPaused(ApplicationError):
    """Too many wrong passwords for one account from one address: its logins
    from there wait `retry_after` seconds (`accounts.login_throttle`)."""

    code = "login_paused"
    status_code = 429

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            ngettext(
                "Too many failed logins to this account from your address: logins from here are paused. "
                "Try again in %(minutes)d minute, or reset your password.",
                "Too many failed logins to this account from your address: logins from here are paused. "
                "Try again in %(minutes)d minutes, or reset your password.",
                minutes,
            )
            % {"minutes": minutes},
            details={"retry_after": retry_after},
        )


class TokenInvalid(ApplicationError):
    code = "token_not_valid"
    status_code = 401
    default_message = _("The token is invalid, expired or already used.")


class WrongPassword(InvalidInput):
    code = "wrong_password"
    default_message = _("The current password is incorrect.")


class EmailUnverified(ApplicationError):
    code = "email_unverified"
    status_code = 403
    default_message = _("Confirm your e-mail address first: open the link we sent you.")
    link = ("accounts:verify-status", _("Confirm or send the link again"))


class EmailAlreadyVerified(InvalidInput):
    code = "email_already_verified"
    default_message = _("Your e-mail address is already confirmed.")


class VerificationExpired(InvalidInput):
    code = "verification_expired"
    default_message = _("This confirmation link has expired. Ask for a new one.")


class VerificationInvalid(InvalidInput):
    code = "verification_invalid"
    default_message = _("This confirmation link is not valid or has already been used.")
