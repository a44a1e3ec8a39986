from django.urls import path

from finance import views

app_name = "finance"

urlpatterns = [
    path("export/donations/", views.export_donations, name="export_donations"),
]
