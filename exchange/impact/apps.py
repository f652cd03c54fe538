from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "exchange.impact"
    label = "impact"

    def ready(self) -> None:
        from exchange.impact import receivers  # noqa: F401  (handovers and closings are recorded)
