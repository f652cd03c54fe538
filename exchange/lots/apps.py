from django.apps import AppConfig


class LotsConfig(AppConfig):
    name = "exchange.lots"
    label = "lots"
