from django.apps import AppConfig


class CategoriesConfig(AppConfig):
    name = "exchange.categories"
    label = "categories"
