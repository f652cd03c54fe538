from django.urls import path

from exchange.organisations import views

app_name = "organisations"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("verification/", views.verification_queue, name="verification_queue"),
    path("switch/", views.switch, name="switch"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("postcodes/<str:code>/", views.postcode, name="postcode"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
]
