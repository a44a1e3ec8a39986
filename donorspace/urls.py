app_name = "donorspace"

urlpatterns: list = []
