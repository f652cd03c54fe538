from django.urls import path

from exchange.claims import views

app_name = "claims"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("inbox/", views.inbox, name="inbox"),
    path("new/<int:lot_pk>/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/document/", views.document, name="document"),
    path("<int:pk>/approve/", views.act, {"action": "approve"}, name="approve"),
    path("<int:pk>/decline/", views.act, {"action": "decline"}, name="decline"),
    path("<int:pk>/cancel/", views.act, {"action": "cancel"}, name="cancel"),
    path("<int:pk>/schedule/", views.act, {"action": "schedule"}, name="schedule"),
    path("<int:pk>/collect/", views.act, {"action": "collect"}, name="collect"),
    path("<int:pk>/no-show/", views.act, {"action": "no_show"}, name="no_show"),
    path("<int:pk>/messages/", views.message, name="message"),
    path("<int:pk>/slots/", views.slot_propose, name="slot_propose"),
    path("<int:pk>/slots/<int:slot_pk>/accept/", views.slot_accept, name="slot_accept"),
    path("<int:pk>/phone/", views.phone, name="phone"),
]
