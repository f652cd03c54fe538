from django.urls import path, re_path

from exchange.lots import views

app_name = "lots"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("mine/", views.mine, name="mine"),
    path("mine/publish/", views.publish_selected, name="publish_selected"),
    path("new/", views.create, name="create"),
    path("import/", views.import_lots, name="import"),
    re_path(
        r"^import/template\.(?P<file_format>csv|xlsx)$",
        views.import_template_download,
        name="import_template",
    ),
    re_path(
        r"^import/categories\.(?P<file_format>csv|xlsx)$",
        views.category_codes_download,
        name="category_codes",
    ),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/photos/", views.photos, name="photos"),
    path("<int:pk>/photos/upload/", views.photo_upload, name="photo_upload"),
    path("<int:pk>/photos/<int:photo_id>/delete/", views.photo_delete, name="photo_delete"),
    path("<int:pk>/photos/<int:photo_id>/tile/", views.photo_tile, name="photo_tile"),
    path("<int:pk>/sanitisation/", views.sanitisation, name="sanitisation"),
    path(
        "<int:pk>/sanitisation/erasure-report.csv",
        views.erasure_template,
        name="erasure_template",
    ),
    path(
        "<int:pk>/sanitisation/certificate.pdf",
        views.certificate_file,
        name="certificate_file",
    ),
    re_path(
        r"^(?P<pk>[0-9]+)/photos/(?P<photo_id>[0-9]+)/(?P<size>web|thumbnail|original)/$",
        views.photo_file,
        name="photo_file",
    ),
]
