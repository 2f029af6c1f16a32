from django.utils.translation import gettext_lazy as _

from guitaronline.core.errors import ApplicationError, Conflict, InvalidInput


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = _("A user with this e-mail already exists.")


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    status_code = 401
    default_message = _("E-mail or password is incorrect.")


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
