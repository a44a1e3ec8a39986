import datetime

from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.money import Money


def localized(obj, field: str) -> str:
    """The French or English value of ``field``, whichever the page speaks.

    Falls back to French, the foundation's working language, when the English
    text was left empty.
    """
    lang = (translation.get_language() or "fr")[:2]
    value = getattr(obj, f"{field}_{lang}", "") if lang in {"fr", "en"} else ""
    return value or getattr(obj, f"{field}_fr")


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(unique=True)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    summary_fr = models.CharField(_("summary (French)"), max_length=300, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=300, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    goal = MoneyField(
        _("goal"), max_digits=14, decimal_places=2, default_currency="EUR"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )

    # Running totals, moved only by campaigns.services under a row lock when a
    # gift is paid or refunded, so that pages never sum every gift. The
    # currency of ``raised`` is always the goal's.
    raised = MoneyField(
        _("raised"), max_digits=14, decimal_places=2, default=0, default_currency="EUR"
    )
    gift_count = models.PositiveIntegerField(_("paid gifts"), default=0)
    donor_count = models.PositiveIntegerField(_("donors"), default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "slug"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.title_fr

    def get_absolute_url(self):
        return reverse("campaigns:detail", kwargs={"slug": self.slug})

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def summary(self) -> str:
        return localized(self, "summary")

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def currency(self) -> str:
        return str(self.goal.currency)

    @property
    def currency_symbol(self) -> str:
        from babel.numbers import get_currency_symbol

        lang = (translation.get_language() or "fr")[:2]
        return get_currency_symbol(
            self.currency, locale="fr_FR" if lang == "fr" else "en_GB"
        )

    @property
    def percent(self) -> int:
        if not self.goal.amount:
            return 0
        return int(self.raised.amount * 100 / self.goal.amount)

    @property
    def bar_percent(self) -> int:
        return min(self.percent, 100)

    def days_left(self, today: datetime.date | None = None) -> int | None:
        if self.ends_on is None:
            return None
        today = today or timezone.localdate()
        return max((self.ends_on - today).days, 0)

    def accepts_gifts(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        if self.status != self.Status.LIVE or today < self.starts_on:
            return False
        return self.ends_on is None or today <= self.ends_on

    def zero(self) -> Money:
        return Money(0, self.currency)


class SuggestedAmount(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="suggested_amounts"
    )
    amount = MoneyField(
        _("amount"), max_digits=12, decimal_places=2, default_currency="EUR"
    )
    impact_fr = models.CharField(_("impact (French)"), max_length=200, blank=True)
    impact_en = models.CharField(_("impact (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "amount"]
        verbose_name = _("suggested amount")
        verbose_name_plural = _("suggested amounts")

    def __str__(self):
        return str(self.amount)

    @property
    def impact(self) -> str:
        return localized(self, "impact")


class Beneficiary(models.Model):
    """A named recipient of the campaign's money, such as a bourse holder."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="beneficiaries"
    )
    public_name = models.CharField(_("public name"), max_length=120)
    summary_fr = models.CharField(_("discipline or summary (French)"), max_length=300)
    summary_en = models.CharField(
        _("discipline or summary (English)"), max_length=300, blank=True
    )
    yearly_bourse = MoneyField(
        _("yearly bourse"),
        max_digits=12,
        decimal_places=2,
        default_currency="EUR",
        null=True,
        blank=True,
    )
    public_consent = models.BooleanField(
        _("agrees to appear publicly"),
        default=False,
        help_text=_("Without consent the beneficiary is never shown on public pages."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "public_name"]
        verbose_name = _("beneficiary")
        verbose_name_plural = _("beneficiaries")

    def __str__(self):
        return self.public_name

    @property
    def summary(self) -> str:
        return localized(self, "summary")
