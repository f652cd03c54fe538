from django.urls import include, path
from rest_framework.routers import APIRootView, DefaultRouter

from api.accounts.views import ApiTokenDetailView, ApiTokenListView, MeView, TokenView
from api.categories.views import CategoryViewSet
from api.claims.views import ClaimViewSet
from api.impact.views import ImpactRecordViewSet
from api.lots.views import LotViewSet
from api.matching.views import MatchViewSet, WantedViewSet
from api.mixins import AnonymousViewMixin
from api.notifications.views import NotificationViewSet
from api.organisations.views import InvitationAcceptView, OrganisationViewSet, SiteViewSet
from api.reuse.views import ReuseCheckViewSet, ReuseStatsView
from api.stats.views import (
    AnnualReportView,
    OpenDataView,
    ReportJobDownloadView,
    ReportJobView,
    StatsSummaryView,
    StatsTimeseriesView,
)


class ApiRootView(AnonymousViewMixin, APIRootView):
    """The links to the resources (the schema at /api/schema/ says more)."""


router = DefaultRouter()
router.APIRootView = ApiRootView
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("sites", SiteViewSet, basename="site")
router.register("categories", CategoryViewSet, basename="category")
router.register("lots", LotViewSet, basename="lot")
router.register("claims", ClaimViewSet, basename="claim")
router.register("impact", ImpactRecordViewSet, basename="impact")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("wanted", WantedViewSet, basename="wanted")
router.register("matches", MatchViewSet, basename="match")
router.register("reuse-checks", ReuseCheckViewSet, basename="reuse-check")

app_name = "api"
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/tokens/", ApiTokenListView.as_view(), name="tokens"),
    path("auth/tokens/<int:pk>/", ApiTokenDetailView.as_view(), name="token-detail"),
    path("me/", MeView.as_view(), name="me"),
    path("invitations/accept/", InvitationAcceptView.as_view(), name="invitation-accept"),
    path("stats/summary/", StatsSummaryView.as_view(), name="stats-summary"),
    path("stats/timeseries/", StatsTimeseriesView.as_view(), name="stats-timeseries"),
    path("stats/reuse-checks/", ReuseStatsView.as_view(), name="stats-reuse-checks"),
    path("reports/annual/<int:year>/", AnnualReportView.as_view(), name="report-annual"),
    path("reports/jobs/<int:pk>/", ReportJobView.as_view(), name="report-job"),
    path(
        "reports/jobs/<int:pk>/download/", ReportJobDownloadView.as_view(), name="report-download"
    ),
    path("open-data/", OpenDataView.as_view(), name="open-data"),
    path("", include(router.urls)),
]
