from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.models import Beneficiary, Campaign, SuggestedAmount


class SuggestedAmountInline(admin.TabularInline):
    model = SuggestedAmount
    extra = 0


class BeneficiaryInline(admin.TabularInline):
    model = Beneficiary
    extra = 0
    fields = (
        "public_name",
        "summary_fr",
        "summary_en",
        "yearly_bourse",
        "public_consent",
        "position",
    )


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "title_fr",
        "status",
        "raised",
        "goal",
        "progress",
        "donor_count",
        "ends_on",
    )
    list_filter = ("status",)
    search_fields = ("title_fr", "title_en", "slug")
    prepopulated_fields = {"slug": ("title_fr",)}
    readonly_fields = (
        "raised",
        "gift_count",
        "donor_count",
        "created_at",
        "updated_at",
        "embed_code",
    )
    inlines = [SuggestedAmountInline, BeneficiaryInline]
    fieldsets = (
        (None, {"fields": ("slug", "status", "goal", "starts_on", "ends_on")}),
        (
            _("Texts"),
            {
                "fields": (
                    "title_fr",
                    "title_en",
                    "summary_fr",
                    "summary_en",
                    "description_fr",
                    "description_en",
                )
            },
        ),
        (
            _("Totals (kept up to date by payments)"),
            {"fields": ("raised", "gift_count", "donor_count", "updated_at")},
        ),
        (_("On another site"), {"fields": ("embed_code",)}),
    )

    @admin.display(description=_("code to embed on another site"))
    def embed_code(self, campaign):
        if not campaign.pk:
            return "—"
        url = settings.SITE_URL + reverse("campaigns:embed", args=[campaign.slug])
        snippet = (
            f'<iframe src="{url}" title="{campaign.title_fr}" width="340" height="190" '
            'style="border:0" loading="lazy"></iframe>'
        )
        return format_html("<code>{}</code>", snippet)

    @admin.display(description=_("progress"))
    def progress(self, campaign):
        return f"{campaign.percent} %"
