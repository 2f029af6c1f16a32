from celery import shared_task

from accounts import services


@shared_task(name="accounts.clear_expired_sessions", ignore_result=True)
def clear_expired_sessions() -> dict:
    """Delete expired browser sessions and refresh tokens, and old signed-out devices."""
    return services.auth_sessions_clear_expired()
