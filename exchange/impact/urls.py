from django.urls import path, re_path

from exchange.impact import views

app_name = "impact"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    re_path(
        r"^report/(?P<year>[0-9]{4})\.(?P<file_format>csv|xlsx|pdf)$",
        views.annual_report,
        name="report",
    ),
]

# Included at /open-data/ (anonymous): its own namespace, so that the name says it is public.
open_data_urlpatterns = ([path("", views.open_data_page, name="page")], "open_data")
