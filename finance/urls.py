from django.urls import path

from finance import views

app_name = "finance"

urlpatterns = [
    path("export/donations/", views.export_donations, name="export_donations"),
    path("bundles/", views.bundle_list, name="bundle_list"),
    path("bundles/<uuid:token>/", views.bundle_detail, name="bundle_detail"),
    path("bundles/<uuid:token>/status/", views.bundle_status, name="bundle_status"),
    path(
        "bundles/<uuid:token>/download/",
        views.bundle_download,
        name="bundle_download",
    ),
]
