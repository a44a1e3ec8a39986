from django.db import models
from django.utils.translation import gettext_lazy as _

from payments.models import Gift


class DailyTotal(models.Model):
    """What one campaign received on one Paris day by one payment method,
    from one-off or monthly gifts, from one traffic source.

    A stored aggregate so the staff dashboard never sums gifts. It moves in
    the transactions that pay and refund gifts (dashboard.services), and
    ``rebuild_daily_totals`` recomputes it from the gifts. A refund counts on
    the day its gift was paid, not on the day of the refund, so that each
    row is a pure function of its gifts and the rebuild can check it.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="daily_totals",
        verbose_name=_("campaign"),
    )
    day = models.DateField(_("day (Paris)"))
    method = models.CharField(
        _("payment method"), max_length=10, choices=Gift.Method.choices
    )
    # A payment of a monthly gift, or a one-off gift.
    monthly = models.BooleanField(_("monthly"), default=False)
    # The utm_source of the link that brought the donor ("" when none).
    source = models.CharField(_("source"), max_length=60, blank=True, default="")
    # Gifts paid that day still counted by the campaign: a fully refunded
    # gift leaves this count, as it leaves Campaign.gift_count.
    gifts = models.PositiveIntegerField(_("gifts"), default=0)
    # In the campaign's currency (every gift to a campaign is in it). Gross
    # amount paid that day; what the foundation keeps is amount - refunded.
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, default=0
    )
    refunded = models.DecimalField(
        _("refunded"), max_digits=14, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("daily total")
        verbose_name_plural = _("daily totals")
        constraints = [
            # Also the index behind every dashboard query (campaign, day).
            models.UniqueConstraint(
                fields=["campaign", "day", "method", "monthly", "source"],
                name="daily_total_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded__lte=models.F("amount")),
                name="daily_total_refunded_within_amount",
            ),
        ]

    def __str__(self):
        return f"{self.campaign_id} {self.day} {self.method}"

    @property
    def net(self):
        return self.amount - self.refunded
