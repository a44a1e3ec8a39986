from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self):
        # Registers the gift, donor, receipt and accounting exports.
        from finance import accounting, export_datasets  # noqa: F401
