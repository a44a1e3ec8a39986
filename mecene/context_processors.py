from django.conf import settings


def foundation(request):
    return {"foundation": settings.FOUNDATION}
