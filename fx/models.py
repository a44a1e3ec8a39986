from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FxRate(models.Model):
    """One euro reference rate of the European Central Bank for one day.

    Rows are written only by ``fx.rates.fx_rates_import``; a stored rate is
    never changed without ``--replace``, since gifts converted with it keep
    it as their own ``fx_rate``. EUR is never stored: its rate is 1.
    """

    # ISO 4217 code, upper case, never EUR (see the constraints).
    currency = models.CharField(_("currency"), max_length=3)
    # The ECB's publication day; there is none on weekends and TARGET
    # holidays, so days have gaps by design.
    day = models.DateField(_("day"))
    # Units of ``currency`` for 1 EUR, exactly as the ECB quotes it (CZK about
    # 25): divide an amount by it to get euros.
    per_eur = models.DecimalField(_("units for 1 EUR"), max_digits=18, decimal_places=8)
    # Where the rate came from, e.g. "ECB eurofxref-hist.xml".
    source = models.TextField(_("source"))
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        ordering = ["-day", "currency"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            # Also the index that serves ``rate_on`` (currency, then day).
            models.UniqueConstraint(
                fields=["currency", "day"], name="fxrate_currency_day_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(per_eur__gt=0), name="fxrate_per_eur_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$")
                & ~models.Q(currency="EUR"),
                name="fxrate_currency_code_not_eur",
            ),
        ]

    def __str__(self):
        return f"{self.currency} {self.day}: {self.per_eur}"
