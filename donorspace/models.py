from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInLink(models.Model):
    """A single-use link that signs a donor in to their space.

    Only the SHA-256 of the token is stored: someone who reads the database
    (a backup, a replica) cannot sign in as anyone. A link is good once,
    until ``expires_at``; ``used_at`` is set by the request that signs in,
    under a row lock, and never cleared.
    """

    donor = models.ForeignKey(
        "donors.Donor",
        on_delete=models.CASCADE,
        related_name="signin_links",
        verbose_name=_("donor"),
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # A keyed hash of the address that asked for the link: enough to tell
    # whether two requests came from one place, without keeping the address.
    requested_ip_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")

    def __str__(self):
        return f"Sign-in link #{self.pk} of donor #{self.donor_id}"


class ErasureRequest(models.Model):
    """A donor's request that their personal data be erased.

    Recorded only: finance handles it by hand, since receipts and the gifts
    they certify must be kept six years (tax law outranks erasure).
    """

    donor = models.ForeignKey(
        "donors.Donor",
        on_delete=models.PROTECT,
        related_name="erasure_requests",
        verbose_name=_("donor"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        constraints = [
            # A second click while one is open must not file a second request.
            models.UniqueConstraint(
                fields=["donor"],
                condition=models.Q(handled_at__isnull=True),
                name="erasure_one_open_per_donor",
            ),
        ]

    def __str__(self):
        return f"Erasure request #{self.pk} of donor #{self.donor_id}"
