import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def bundle_file_path(bundle, filename):
    return f"bundles/{bundle.year}/{bundle.token}.zip"


class ReceiptBundle(models.Model):
    """Every receipt of one year's series (or of one campaign in it), zipped.

    Built by ``finance.tasks.bundle_build_task``; the file holds names and
    addresses, so it lives in private storage and is served only by a view
    that checks the receipt permission.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # Opaque id for URLs; the integer id stays internal.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    # The receipt series year (Receipt.year), not the year the gift was paid.
    year = models.PositiveIntegerField(_("year"))
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("campaign"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("receipts"), default=0)
    done_count = models.PositiveIntegerField(_("packed"), default=0)
    # Bumped each time a worker starts the build. Progress and the final
    # write are made only while it still holds the value that worker set, so
    # a build superseded by a redelivered task stops instead of racing it.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    file = models.FileField(
        _("file"), upload_to=bundle_file_path, max_length=200, blank=True
    )
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("receipt bundle")
        verbose_name_plural = _("receipt bundles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done_count__lte=models.F("total")),
                name="receipt_bundle_progress_within_total",
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.token}"

    def get_absolute_url(self):
        return reverse("finance:bundle_detail", kwargs={"token": self.token})

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return self.done_count * 100 // self.total

    @property
    def progress_label(self) -> str:
        return ngettext(
            "%(done)s of %(total)s receipt packed",
            "%(done)s of %(total)s receipts packed",
            self.total,
        ) % {"done": self.done_count, "total": self.total}

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def download_name(self) -> str:
        campaign = f"-{self.campaign.slug}" if self.campaign_id else ""
        return f"recus-fiscaux-{self.year}{campaign}.zip"
