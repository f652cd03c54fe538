from django.apps import AppConfig


class LotsConfig(AppConfig):
    name = "exchange.lots"
    label = "lots"

    def ready(self) -> None:
        from exchange.lots.reminders import lot_expiring_reminders_send
        from exchange.notifications.reminders import reminder_sender_register

        reminder_sender_register("lot_expiring", lot_expiring_reminders_send)
