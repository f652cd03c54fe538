from django.urls import path

from exchange.matching import views

app_name = "matching"
urlpatterns = [
    path("", views.wanted_list_view, name="list"),
    path("new/", views.wanted_create_view, name="create"),
    path("notifications/", views.notification_settings_view, name="notifications"),
    path("<int:pk>/edit/", views.wanted_edit_view, name="edit"),
    path("<int:pk>/withdraw/", views.wanted_withdraw_view, name="withdraw"),
    path("<int:pk>/matches/", views.matches_view, name="matches"),
    path("<int:pk>/matches/<int:match_pk>/claim/", views.match_claim_view, name="match_claim"),
    path(
        "<int:pk>/matches/<int:match_pk>/dismiss/",
        views.match_dismiss_view,
        name="match_dismiss",
    ),
]
