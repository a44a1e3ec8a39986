from django.urls import path

from . import views

app_name = "donorspace"

urlpatterns = [
    path("", views.signin_request, name="request"),
    path("signin/<str:token>/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("gifts/", views.gifts, name="gifts"),
    path("receipts/<str:number>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("export.json", views.export, name="export"),
    path("erasure/", views.erasure, name="erasure"),
    path("preferences/", views.preferences, name="preferences"),
    path("address/", views.address, name="address"),
]
