from django.urls import path

from wall import views

app_name = "wall"

urlpatterns = [
    path("campaigns/<slug:slug>/wall/", views.campaign_wall, name="campaign_wall"),
]
