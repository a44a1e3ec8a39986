from django.contrib import admin
from django.urls import include, path

from mecene.healthz import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("stripe/", include("payments.urls")),
    path("finance/", include("finance.urls")),
    path("", include("campaigns.urls")),
]
