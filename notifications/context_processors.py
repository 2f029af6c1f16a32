from django.utils.functional import SimpleLazyObject

from notifications import selectors


def unread_notifications(request) -> dict:
    """`unread_notifications`: the signed-in user's unread in-app count,
    counted only if a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: selectors.unread_count(user=user))}
