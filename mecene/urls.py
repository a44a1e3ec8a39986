from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from mecene.healthz import healthz

admin.site.site_header = "Mécène"
admin.site.site_title = "Mécène"
admin.site.index_title = _("Campaigns, gifts and receipts")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("stripe/", include("payments.urls")),
    path("finance/reconciliation/", include("reconcile.urls")),
    path("finance/", include("finance.urls")),
    path("my/", include("donorspace.urls")),
    path("monthly/", include("payments.monthly_urls")),
    path("staff/dashboard/", include("dashboard.urls")),
    path("staff/ledger/", include("ledger.urls")),
    path("", include("wall.urls")),
    path("", include("campaigns.urls")),
]
