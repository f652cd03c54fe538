from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "exchange.claims"
    label = "claims"
