from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "exchange.claims"
    label = "claims"

    def ready(self) -> None:
        from exchange.claims.reminders import pickup_soon_reminders_send
        from exchange.notifications.reminders import reminder_sender_register

        reminder_sender_register("pickup_soon", pickup_soon_reminders_send)
