from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "exchange.matching"
    label = "matching"

    def ready(self) -> None:
        from exchange.matching import receivers  # noqa: F401  (lot events start matching)
        from exchange.matching.reminders import wanted_expiring_reminders_send
        from exchange.notifications.reminders import reminder_sender_register

        reminder_sender_register("wanted_expiring", wanted_expiring_reminders_send)
