"""Billing's domain errors, each with a stable `code` API clients rely on."""

from django.utils.translation import gettext_lazy as _

from guitaronline.core.errors import ApplicationError, Conflict

# Every "no lessons left" refusal links to the page that sells lessons.
BUY_LESSONS = ("billing:product-list", _("Buy lessons"))


class NoActivePackage(Conflict):
    code = "no_active_package"
    default_message = _("You have no active lesson package with lessons left.")
    link = BUY_LESSONS


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


class PaymentProviderUnavailable(ApplicationError):
    """The provider did not answer (down, timed out): nothing was written; try again."""

    code = "payment_provider_unavailable"
    status_code = 503
    default_message = _("The payment service is not answering. Nothing was charged; please try again in a moment.")


class ProductUnavailable(Conflict):
    code = "product_unavailable"
    default_message = _("This product is no longer on sale.")


class RefundTooLarge(ApplicationError):
    code = "refund_too_large"
    status_code = 400
    default_message = _("A refund cannot exceed what was paid.")


class RefundAmountRequired(ApplicationError):
    code = "refund_amount_required"
    status_code = 400
    default_message = _("Lessons of this package were used: enter the amount to refund.")


class WebhookRejected(ApplicationError):
    """A notification whose signature is wrong, or that cannot be verified: nothing is recorded."""

    code = "webhook_rejected"
    status_code = 400
    default_message = _("This notification could not be verified.")
