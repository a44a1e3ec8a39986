from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mecene.admin import ReadOnlyAdminMixin
from payments.models import Gift
from wall.models import Dedication, WallMessage
from wall.selectors import wall_pending_count
from wall.services import wall_messages_moderate

MODERATE = "wall.moderate_message"


@admin.register(WallMessage)
class WallMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Moderation of wall messages: read, then approve or reject.

    Only messages of paid gifts are listed; a pending gift's message waits
    until the gift is paid. Nobody edits a donor's words here.
    """

    change_list_template = "admin/wall/wallmessage/change_list.html"
    list_display = ("id", "text", "status", "gift_link", "campaign", "created_at")
    list_filter = ("status", "gift__campaign")
    list_select_related = ("gift__campaign",)
    readonly_fields = ("gift", "text", "status", "moderated_at", "moderated_by")
    fields = readonly_fields
    actions = ("approve", "reject")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(gift__status=Gift.Status.PAID)

    @admin.display(description=_("gift"))
    def gift_link(self, message):
        url = reverse("admin:payments_gift_change", args=[message.gift_id])
        return format_html('<a href="{}">#{}</a>', url, message.gift_id)

    @admin.display(description=_("campaign"))
    def campaign(self, message):
        return message.gift.campaign

    def has_moderate_permission(self, request):
        return request.user.has_perm(MODERATE)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(
            request, obj
        ) or self.has_moderate_permission(request)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self.has_moderate_permission(
            request
        )

    def _moderate(self, request, queryset, *, approve: bool):
        ids = list(queryset.values_list("pk", flat=True))
        changed = wall_messages_moderate(ids, approve=approve, actor=request.user)
        if approve:
            text = ngettext(
                "%(count)d message approved.", "%(count)d messages approved.", changed
            )
        else:
            text = ngettext(
                "%(count)d message rejected.", "%(count)d messages rejected.", changed
            )
        self.message_user(request, text % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Approve: show on the wall"), permissions=["moderate"])
    def approve(self, request, queryset):
        self._moderate(request, queryset, approve=True)

    @admin.action(description=_("Reject: never show"), permissions=["moderate"])
    def reject(self, request, queryset):
        self._moderate(request, queryset, approve=False)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "pending_count": wall_pending_count()}
        return super().changelist_view(request, extra_context)


@admin.register(Dedication)
class DedicationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: staff see whether a card went out, not to whom."""

    list_display = ("id", "gift", "kind", "card", "card_sent_at", "erased_at")
    list_filter = ("kind",)
    fields = ("gift", "kind", "card", "card_sent_at", "erased_at", "created_at")
    readonly_fields = fields

    @admin.display(description=_("card"), boolean=True)
    def card(self, dedication):
        return dedication.has_card
