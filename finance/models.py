import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def bundle_file_path(bundle, filename):
    return f"bundles/{bundle.year}/{bundle.token}.zip"


class BackgroundBuild(models.Model):
    """What a file built by a worker records: who asked, and how it went.

    ``finance.builds`` moves these fields; each model adds its own status
    field (from ``Status`` or a wider set), scope, progress and file.
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
    # Bumped each time a worker starts the build. Progress and the final
    # write are made only while it still holds the value that worker set, so
    # a build superseded by a redelivered task stops instead of racing it.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        abstract = True


class ReceiptBundle(BackgroundBuild):
    """Every receipt of one year's series (or of one campaign in it), zipped.

    Built by ``finance.tasks.bundle_build_task``; the file holds names and
    addresses, so it lives in private storage and is served only by a view
    that checks the receipt permission.
    """

    Status = BackgroundBuild.Status

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
    file = models.FileField(
        _("file"), upload_to=bundle_file_path, max_length=200, blank=True
    )

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


def export_file_path(job, filename):
    return f"exports/{job.token}.{job.format}"


class ExportJob(BackgroundBuild):
    """An export too large for one request, written by a Celery worker.

    The file holds donors' names and addresses: it lives in private storage,
    only the staff member who asked for it may download it, and it is
    deleted once ``expires_at`` has passed (``export_purge_task``).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    # A name from finance.export_datasets (gifts, donors, receipts, …).
    dataset = models.CharField(_("export"), max_length=40)
    format = models.CharField(_("format"), max_length=4)
    separator = models.CharField(_("CSV separator"), max_length=1, default=";")
    # The validated filters (ExportFilters.as_params()).
    filters = models.JSONField(_("filters"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # Estimated when queued, exact once done (fee and payout lines are not
    # counted ahead), so progress is capped at the estimate.
    total = models.PositiveIntegerField(_("rows expected"), default=0)
    row_count = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(
        _("file"), upload_to=export_file_path, max_length=200, blank=True
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self):
        return f"{self.dataset} {self.token}"

    def get_absolute_url(self):
        return reverse("finance:export_job", kwargs={"token": self.token})

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(self.row_count * 100 // self.total, 99)

    @property
    def progress_label(self) -> str:
        return ngettext(
            "%(done)s of about %(total)s row written",
            "%(done)s of about %(total)s rows written",
            self.total,
        ) % {"done": self.row_count, "total": self.total}

    @property
    def is_finished(self) -> bool:
        return self.status in (
            self.Status.DONE,
            self.Status.FAILED,
            self.Status.EXPIRED,
        )

    @property
    def download_name(self) -> str:
        parts = [self.dataset, str(self.filters.get("year", ""))]
        parts += [
            str(self.filters[key])
            for key in ("campaign", "status", "method")
            if self.filters.get(key)
        ]
        return "-".join(parts) + f".{self.format}"
