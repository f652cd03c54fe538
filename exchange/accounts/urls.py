from django.contrib.auth import views as auth_views
from django.urls import path

from exchange.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.sign_up, name="signup"),
    path("language/", views.switch_language, name="language"),
]
