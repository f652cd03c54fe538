from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "exchange.matching"
    label = "matching"

    def ready(self) -> None:
        from exchange.matching import receivers  # noqa: F401  (lot events start matching)
