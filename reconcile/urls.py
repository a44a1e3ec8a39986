from django.urls import path

from reconcile import views

app_name = "reconcile"

urlpatterns = [
    path("", views.reconciliation, name="reconciliation"),
    path("run/", views.reconciliation_start_view, name="start"),
    path(
        "mismatches/<int:pk>/resolve/",
        views.mismatch_resolve_view,
        name="mismatch_resolve",
    ),
]
