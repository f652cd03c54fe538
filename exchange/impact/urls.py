from django.urls import path, re_path

from exchange.impact import views

app_name = "impact"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # Any year and format: the report service answers what it refuses (400), as the API.
    re_path(
        r"^report/(?P<year>[0-9]{1,6})\.(?P<file_format>[a-z0-9]{1,8})$",
        views.annual_report,
        name="report",
    ),
    path("reports/<int:pk>/", views.report_job, name="report-job"),
    path("reports/<int:pk>/download/", views.report_job_download, name="report-job-download"),
]

# Included at /open-data/ (anonymous): its own namespace, so that the name says it is public.
# The CSV distribution and the DCAT-AP description are at stable URLs that harvesters keep.
open_data_urlpatterns = (
    [
        path("", views.open_data_page, name="page"),
        path("reuse-exchange.csv", views.open_data_csv_download, name="csv"),
        path("dcat.jsonld", views.open_data_dcat, name="dcat"),
    ],
    "open_data",
)
