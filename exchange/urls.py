from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from exchange.accounts.throttle import throttled_response
from exchange.common.views import healthz, readyz, security_txt
from exchange.impact.urls import open_data_urlpatterns
from exchange.reuse.urls import verify_urlpatterns

# The admin signs in through the platform's sign-in page: the same throttling, the
# same verified e-mail and the same second factor.
admin.site.login = secure_admin_login(admin.site.login)
# allauth's own rate limits (sign-up, reset, e-mail) answer with this page.
handler429 = throttled_response
# The site's error pages in the reader's language, with a way back; JSON under /api/.
handler400 = "exchange.common.error_pages.bad_request"
handler403 = "exchange.common.error_pages.permission_denied"
handler404 = "exchange.common.error_pages.page_not_found"
handler500 = "exchange.common.error_pages.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path(".well-known/security.txt", security_txt, name="security-txt"),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): no inline
    # script under the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("exchange.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("organisations/", include("exchange.organisations.urls")),
    path("lots/", include("exchange.lots.urls")),
    path("claims/", include("exchange.claims.urls")),
    path("wanted/", include("exchange.matching.urls")),
    path("reuse-checks/", include("exchange.reuse.urls")),
    path("verify/", include((verify_urlpatterns, "verify"))),
    path("notifications/", include("exchange.notifications.urls")),
    path("stats/", include("exchange.impact.urls")),
    path("open-data/", include(open_data_urlpatterns)),
    path("", include("exchange.home.urls")),
]

if settings.SERVE_MEDIA:
    # Local media in the embedded default; S3 serves its own files.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
