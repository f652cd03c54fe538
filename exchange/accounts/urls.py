from django.urls import path

from exchange.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("tokens/", views.tokens, name="tokens"),
    path("language/", views.switch_language, name="language"),
]
