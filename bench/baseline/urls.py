"""Two views: a tiny template, and the same after one primary-key SELECT."""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, render
from django.urls import path


def tiny(request):
    return render(request, "tiny.html", {"title": "Baseline", "name": "nobody"})


def tiny_pk(request):
    # auth_user row 1 is the demo staff user that load_demo_data creates.
    user = get_object_or_404(get_user_model(), pk=1)
    return render(request, "tiny.html", {"title": "Baseline", "name": user.username})


urlpatterns = [path("tiny/", tiny), path("tiny-pk/", tiny_pk)]
