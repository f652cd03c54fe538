from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "exchange.organisations"
    label = "organisations"

    def ready(self) -> None:
        from exchange.organisations import receivers  # noqa: F401 (subscribes)
