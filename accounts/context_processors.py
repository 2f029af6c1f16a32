from accounts import verification


def email_confirmation(request) -> dict:
    """`email_to_confirm`: the address a signed-in user still has to confirm
    (the base page then offers to send the link again), else nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not verification.sends_links():
        return {}
    address = verification.address_to_confirm(user)
    return {"email_to_confirm": address, "email_confirmation_required": verification.mode() == verification.MANDATORY}
