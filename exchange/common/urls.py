from django.urls import path

from exchange.common import pages

urlpatterns = [
    path("", pages.home, name="home"),
]
