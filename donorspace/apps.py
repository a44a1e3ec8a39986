from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonorspaceConfig(AppConfig):
    name = "donorspace"
    verbose_name = _("Donor space")
