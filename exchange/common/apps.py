from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "exchange.common"
    label = "common"
