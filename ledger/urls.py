from django.urls import path

from ledger import views

app_name = "ledger"

urlpatterns = [
    path("<slug:slug>/", views.campaign_index, name="campaign"),
    path("<slug:slug>/<int:year>/", views.year_page, name="year"),
    path("<slug:slug>/<int:year>/close/", views.close_year, name="close"),
    path(
        "<slug:slug>/<int:year>/export.csv",
        views.export,
        {"fmt": "csv"},
        name="export_csv",
    ),
    path(
        "<slug:slug>/<int:year>/export.xlsx",
        views.export,
        {"fmt": "xlsx"},
        name="export_xlsx",
    ),
]
