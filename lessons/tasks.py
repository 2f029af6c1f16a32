from celery import shared_task

from lessons import services


@shared_task(name="lessons.send_reminders", ignore_result=True)
def send_reminders() -> int:
    """Emit the due 24-hour and 1-hour lesson reminders (once each)."""
    return services.lesson_reminders_emit()
