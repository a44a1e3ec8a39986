from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("webhook/", views.stripe_webhook, name="webhook"),
]
