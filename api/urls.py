from django.urls import include, path
from rest_framework.routers import DefaultRouter

from api.accounts.views import MeView, TokenView
from api.categories.views import CategoryViewSet
from api.lots.views import LotViewSet
from api.organisations.views import OrganisationViewSet, SiteViewSet

router = DefaultRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("sites", SiteViewSet, basename="site")
router.register("categories", CategoryViewSet, basename="category")
router.register("lots", LotViewSet, basename="lot")

app_name = "api"
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
    path("", include(router.urls)),
]
