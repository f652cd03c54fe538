from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "exchange.claims"
    label = "claims"

    def ready(self) -> None:
        from exchange.claims.reminders import pickup_soon_reminders_send
        from exchange.claims.services import claims_settled_check
        from exchange.claims.views import lot_page_claim_box
        from exchange.lots.sections import lot_page_section_register
        from exchange.lots.services.closing import lot_close_check_register
        from exchange.notifications.reminders import reminder_sender_register

        reminder_sender_register("pickup_soon", pickup_soon_reminders_send)
        lot_close_check_register(claims_settled_check)  # no closing over live claims
        lot_page_section_register(
            "claim_box",
            place="aside",
            template="claims/_claim_box.html",
            context=lot_page_claim_box,
        )
