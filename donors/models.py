from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Donor(models.Model):
    """A person or company that gives.

    One row per email address. Receipts freeze the donor's details when they
    are issued, so editing a donor never changes a receipt already sent.
    """

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        COMPANY = "company", _("Company")

    kind = models.CharField(_("donor type"), max_length=10, choices=Kind.choices)
    first_name = models.CharField(_("first name(s)"), max_length=120, blank=True)
    last_name = models.CharField(_("last name"), max_length=120, blank=True)
    company_name = models.CharField(_("company legal name"), max_length=200, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=60, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    email = models.EmailField(_("email"))
    address_line = models.CharField(_("address"), max_length=250)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=120)
    country = models.CharField(_("country"), max_length=2, default="FR")
    language = models.CharField(_("language"), max_length=2, default="fr")
    # Set when the donor picks a language in their space: from then on the
    # language of a donate page no longer changes it.
    language_chosen_at = models.DateTimeField(
        _("language chosen at"), null=True, blank=True
    )
    # Asked on the donate page: a French receipt is worthless to a donor who
    # pays no tax in France, and issuing one anyway is a finance decision.
    taxed_in_france = models.BooleanField(_("taxed in France"), default=True)
    receipt_preference = models.CharField(
        _("receipts"),
        max_length=10,
        choices=[
            ("per_gift", _("One receipt per gift")),
            ("annual", _("One annual summary in January")),
        ],
        default="per_gift",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="donor_email_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["individual", "company"]),
                name="donor_kind_known",
            ),
        ]

    def __str__(self):
        # Ids, not names or emails, so that a donor printed in a log or an
        # error report leaks nothing.
        return f"Donor #{self.pk}"

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.COMPANY:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def masked_email(self) -> str:
        local, _sep, domain = self.email.partition("@")
        return f"{local[:1]}***@{domain}"


class ConsentRecord(models.Model):
    """One answer of a donor to a consent question; append-only.

    The donor's current answer is their latest row for the topic. Each row
    keeps the exact wording shown and its language, as proof of what was
    agreed to. ``email_hash`` (a keyed hash of the address at the time) lets
    that proof outlive the donor row: if a donor is ever deleted, ``donor``
    becomes null and the row, now pseudonymous, can still be matched to a
    complaint by hashing the complainant's address.
    """

    class Topic(models.TextChoices):
        NEWSLETTER = "newsletter", _("Newsletter")

    class Source(models.TextChoices):
        DONATE_FORM = "donate_form", _("Donate form")
        DONOR_SPACE = "donor_space", _("Donor space")
        ERASURE = "erasure", _("Erasure request")

    donor = models.ForeignKey(
        Donor,
        on_delete=models.SET_NULL,
        null=True,
        related_name="consents",
        verbose_name=_("donor"),
    )
    email_hash = models.CharField(max_length=64)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    given = models.BooleanField(_("given"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    wording = models.TextField(_("wording shown"))
    language = models.CharField(_("language of the wording"), max_length=2)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # The paid gift whose form carried the box, when there is one.
    gift = models.ForeignKey(
        "payments.Gift",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gift"),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        constraints = [
            # A paid gift records its box once, however often payment is
            # reported (page and webhook).
            models.UniqueConstraint(
                fields=["gift", "topic"],
                condition=models.Q(gift__isnull=False),
                name="consent_once_per_gift",
            ),
        ]

    def __str__(self):
        return f"Consent record #{self.pk} of donor #{self.donor_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("consent records are never changed; add a new one")
        super().save(*args, **kwargs)


class PreferenceChange(models.Model):
    """A donor's change of language or receipt preference; append-only."""

    donor = models.ForeignKey(
        Donor,
        on_delete=models.CASCADE,
        related_name="preference_changes",
        verbose_name=_("donor"),
    )
    field = models.CharField(_("preference"), max_length=40)
    old_value = models.CharField(_("old value"), max_length=40)
    new_value = models.CharField(_("new value"), max_length=40)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("preference change")
        verbose_name_plural = _("preference changes")

    def __str__(self):
        return f"Preference change #{self.pk} of donor #{self.donor_id}"


class AddressCheck(models.Model):
    """The yearly question "is this still your address?" before the summaries.

    One row per donor and tax year: the unique constraint is what keeps the
    email to one per donor per year, however often the job runs.
    """

    donor = models.ForeignKey(
        Donor,
        on_delete=models.CASCADE,
        related_name="address_checks",
        verbose_name=_("donor"),
    )
    year = models.PositiveSmallIntegerField(_("tax year"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)

    class Meta:
        ordering = ["-year", "-pk"]
        verbose_name = _("address check")
        verbose_name_plural = _("address checks")
        constraints = [
            models.UniqueConstraint(
                fields=["donor", "year"], name="address_check_once_per_year"
            ),
        ]

    def __str__(self):
        return f"Address check {self.year} of donor #{self.donor_id}"

    @property
    def answered(self) -> bool:
        return self.confirmed_at is not None or self.corrected_at is not None
