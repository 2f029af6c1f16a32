"""Billing's domain errors, each with a stable `code` API clients rely on."""

from django.utils.translation import gettext_lazy as _

from guitaronline.core.errors import ApplicationError, Conflict


class NoActivePackage(Conflict):
    code = "no_active_package"
    default_message = _("You have no active lesson package with lessons left.")


class PackageInactive(Conflict):
    code = "package_inactive"
    default_message = _("The lesson package is expired or canceled.")


class InvalidTransition(Conflict):
    """A status move the state machine does not allow; details are `{from, to}`."""

    code = "invalid_transition"
    default_message = _("This status change is not allowed.")


class PaymentProviderError(ApplicationError):
    code = "payment_provider_error"
    status_code = 502
    default_message = _("The payment provider could not process the request.")
