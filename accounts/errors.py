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
