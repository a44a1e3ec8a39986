from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WallConfig(AppConfig):
    name = "wall"
    verbose_name = _("Donor wall")
