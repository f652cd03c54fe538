from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "exchange.impact"
    label = "impact"
