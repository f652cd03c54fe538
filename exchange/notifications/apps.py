from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "exchange.notifications"
    label = "notifications"
