"""Register the school's webhook with Telegram (once per deployment, or when SITE_URL changes)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from notifications import preferences, telegram


class Command(BaseCommand):
    help = "Point the Telegram bot's webhook at {SITE_URL}/api/v1/notifications/telegram/webhook, with the secret."

    def handle(self, *args, **options):
        if not preferences.telegram_enabled():
            raise CommandError("TELEGRAM_BOT_TOKEN is not set.")
        url = settings.SITE_URL + reverse("api:notifications-telegram-webhook")
        bot = telegram.Bot()
        try:
            bot.set_webhook(url=url, secret_token=settings.TELEGRAM_WEBHOOK_SECRET)
        except telegram.TelegramError as exc:
            raise CommandError(f"Telegram refused the webhook: {exc}") from exc
        finally:
            bot.close()
        self.stdout.write(f"Webhook set: {url}")
