from django.urls import path

from payments import monthly_views

app_name = "monthly"

urlpatterns = [
    path("authenticate/<str:token>/", monthly_views.authenticate, name="authenticate"),
    path("<str:token>/", monthly_views.manage, name="manage"),
    path("<str:token>/card/", monthly_views.card_start, name="card_start"),
    path("<str:token>/card/done/", monthly_views.card_finish, name="card_finish"),
]
