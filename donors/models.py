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
