from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "exchange.matching"
    label = "matching"

    def ready(self) -> None:
        from exchange.lots.sections import lot_page_section_register
        from exchange.matching import receivers  # noqa: F401  (lot events start matching)
        from exchange.matching.reminders import wanted_expiring_reminders_send
        from exchange.matching.views import lot_page_match_count
        from exchange.notifications.reminders import reminder_sender_register

        reminder_sender_register("wanted_expiring", wanted_expiring_reminders_send)
        lot_page_section_register(
            "match_count",
            place="owner",
            template="matching/_lot_matches.html",
            context=lot_page_match_count,
        )
