from django.urls import path

from exchange.reuse import views

app_name = "reuse"
urlpatterns = [
    path("", views.check_list_view, name="list"),
    path("new/", views.check_create_view, name="create"),
    path("<int:pk>/", views.check_detail_view, name="detail"),
    path("<int:pk>/claim/<int:lot_pk>/", views.check_claim_view, name="claim"),
    path("<int:pk>/close/", views.check_close_view, name="close"),
    path("<int:pk>/cancel/", views.check_cancel_view, name="cancel"),
    path("<int:pk>/attestation.pdf", views.attestation_download_view, name="attestation"),
]

verify_urlpatterns = [
    path("", views.verify_start_view, name="start"),
    path("<str:code>/", views.verify_view, name="attestation"),
]
