import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from reconcile.models import Mismatch, ReconciliationRun
from reconcile.selectors import page_data
from reconcile.services import (
    ReconciliationRefused,
    check_period,
    mismatch_resolve,
)
from reconcile.tasks import reconciliation_queue
from roles.audit import audit_record

logger = logging.getLogger(__name__)

VIEW_PERMISSION = "reconcile.view_reconciliationrun"
RUN_PERMISSION = "reconcile.run_reconciliation"
RESOLVE_PERMISSION = "reconcile.change_mismatch"


class RunForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("First day"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=gettext_lazy("Last day"),
        required=False,
        help_text=gettext_lazy("Empty: today."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            check_period(cleaned["since"], cleaned.get("until"))
        except ReconciliationRefused as exc:
            raise forms.ValidationError(str(exc)) from None
        return cleaned


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("How it was settled"), max_length=2000, strip=True
    )


def _page(request, form=None, status=200):
    context = {
        **admin.site.each_context(request),
        **page_data(),
        "title": _("Stripe reconciliation"),
        "form": form or RunForm(initial={"since": timezone.localdate()}),
        "can_run": request.user.has_perm(RUN_PERMISSION),
        "can_resolve": request.user.has_perm(RESOLVE_PERMISSION),
    }
    return render(request, "reconcile/reconciliation.html", context, status=status)


@staff_member_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def reconciliation(request):
    return _page(request)


@staff_member_required
@permission_required([VIEW_PERMISSION, RUN_PERMISSION], raise_exception=True)
@require_POST
def reconciliation_start_view(request):
    form = RunForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    if ReconciliationRun.objects.filter(status=ReconciliationRun.Status.RUNNING):
        form.add_error(None, _("A reconciliation is already running; wait for it."))
        return _page(request, form=form, status=409)

    # Nothing is written here: the task records the run when it starts, so a
    # lost message leaves no run stuck "running".
    queued = reconciliation_queue(
        since=form.cleaned_data["since"],
        until=form.cleaned_data["until"],
        actor_id=request.user.pk,
    )
    if queued:
        audit_record(
            request.user, "reconcile.run_requested", None,
            since=form.cleaned_data["since"], until=form.cleaned_data["until"],
        )  # fmt: skip
        messages.success(
            request, _("The reconciliation is queued; this page lists it when it ends.")
        )
    else:
        messages.error(
            request, _("The reconciliation could not be queued; try again shortly.")
        )
    return redirect("reconcile:reconciliation")


@staff_member_required
@permission_required([VIEW_PERMISSION, RESOLVE_PERMISSION], raise_exception=True)
@require_POST
def mismatch_resolve_view(request, pk):
    mismatch = get_object_or_404(Mismatch, pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how the mismatch was settled."))
        return _page(request, status=400)
    try:
        mismatch_resolve(
            mismatch.pk, note=form.cleaned_data["note"], actor=request.user
        )
    except ReconciliationRefused as exc:
        messages.error(request, str(exc))
        return _page(request, status=400)
    messages.success(request, _("Mismatch marked as settled."))
    return redirect("reconcile:reconciliation")
