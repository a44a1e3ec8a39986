from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="detail"),
    path("campaigns/<slug:slug>/embed/", views.campaign_embed, name="embed"),
    path("campaigns/<slug:slug>/donate/", views.donate, name="donate"),
    path("gifts/<uuid:token>/pay/", views.gift_pay, name="gift_pay"),
    path("gifts/<uuid:token>/confirm/", views.gift_confirm, name="gift_confirm"),
    path("gifts/<uuid:token>/thanks/", views.gift_thanks, name="gift_thanks"),
]
