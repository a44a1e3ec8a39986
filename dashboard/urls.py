from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.campaign_page, name="campaign"),
    path("<slug:slug>/data.json", views.campaign_data, name="data"),
]
