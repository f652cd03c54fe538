from django.urls import path

from exchange.home import views

urlpatterns = [
    path("", views.home, name="home"),
]
