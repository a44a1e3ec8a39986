from django.urls import path

from finance import export_views, views

app_name = "finance"

urlpatterns = [
    path("export/donations/", views.export_donations, name="export_donations"),
    path("exports/", export_views.export_page, name="export_page"),
    path("exports/<uuid:token>/", export_views.export_job, name="export_job"),
    path(
        "exports/<uuid:token>/status/",
        export_views.export_job_status,
        name="export_job_status",
    ),
    path(
        "exports/<uuid:token>/download/",
        export_views.export_job_download,
        name="export_job_download",
    ),
    path("bundles/", views.bundle_list, name="bundle_list"),
    path("bundles/<uuid:token>/", views.bundle_detail, name="bundle_detail"),
    path("bundles/<uuid:token>/status/", views.bundle_status, name="bundle_status"),
    path(
        "bundles/<uuid:token>/download/",
        views.bundle_download,
        name="bundle_download",
    ),
]
