"""The donor's own pages for a monthly gift, reached by signed links.

No account and no password: the link in each email is signed with the
site's secret and expires (``RECURRING_LINK_MAX_AGE_DAYS``). Every change is
a POST carrying the same token, and is recorded on the gift's history.
"""

import json
import logging
import re

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payments import gateway
from payments.forms import MonthlyAmountForm
from payments.models import Gift, RecurringGift
from payments.recurring import RecurringStateError
from payments.recurring_changes import (
    recurring_change_amount,
    recurring_finish_card_change,
    recurring_pause,
    recurring_prepare_card_change,
    recurring_resume,
    recurring_stop,
)
from payments.recurring_links import (
    LinkExpired,
    LinkInvalid,
    gift_from_authenticate_token,
    plan_from_token,
)
from payments.sepa import iban_error, mandate_text

logger = logging.getLogger(__name__)


def _link_problem(request, exc):
    expired = isinstance(exc, LinkExpired)
    return render(
        request,
        "payments/monthly_link_problem.html",
        {"expired": expired},
        status=410 if expired else 404,
    )


def _render_manage(request, plan, token, form, status=200):
    return render(
        request,
        "payments/monthly_manage.html",
        {
            "plan": plan,
            "token": token,
            "form": form,
            "gifts": plan.gifts.filter(status__in=["paid", "refunded"]).order_by(
                "-period"
            )[:12],
            "stripe_js_url": settings.STRIPE_JS_URL,
            "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "mandate_text": mandate_text(),
            "js_messages": {
                "working": _("Saving…"),
                "card_refused": _(
                    "This card or account could not be set up. Check it or try another."
                ),
                "failed": _("Something went wrong; nothing was changed."),
            },
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def manage(request, token):
    try:
        plan = plan_from_token(token)
    except (LinkExpired, LinkInvalid) as exc:
        return _link_problem(request, exc)
    currency = str(plan.amount.currency)
    if request.method == "GET":
        form = MonthlyAmountForm(
            currency=currency, initial={"amount": plan.amount.amount}
        )
        return _render_manage(request, plan, token, form)

    action = request.POST.get("action", "")
    form = MonthlyAmountForm(currency=currency, initial={"amount": plan.amount.amount})
    try:
        if action == "amount":
            form = MonthlyAmountForm(request.POST, currency=currency)
            if not form.is_valid():
                return _render_manage(request, plan, token, form, status=400)
            recurring_change_amount(plan, form.cleaned_data["amount"])
            messages.success(request, _("Your new monthly amount is saved."))
        elif action == "pause":
            recurring_pause(plan)
            messages.success(request, _("Your monthly gift is paused."))
        elif action == "resume":
            recurring_resume(plan)
            messages.success(request, _("Your monthly gift starts again."))
        elif action == "stop":
            recurring_stop(plan)
            messages.success(
                request, _("Your monthly gift is stopped. Thank you for your support.")
            )
        else:
            messages.error(request, _("Unknown request; nothing was changed."))
            return _render_manage(request, plan, token, form, status=400)
    except RecurringStateError:
        plan.refresh_from_db()
        messages.error(
            request, _("This change is not possible now; nothing was changed.")
        )
        return _render_manage(request, plan, token, form, status=409)
    return redirect(reverse("monthly:manage", args=[token]))


@require_POST
def card_start(request, token):
    try:
        plan = plan_from_token(token)
    except (LinkExpired, LinkInvalid):
        return JsonResponse({"error": _("This link is not valid.")}, status=404)
    mandate = None
    if plan.method == Gift.Method.SEPA:
        try:
            payload = json.loads(request.body or b"{}")
            iban = re.sub(r"[\s-]", "", str(payload.get("iban", ""))).upper()
            accepted = payload.get("mandate_accepted") is True
        except (ValueError, AttributeError):
            return JsonResponse({"error": _("Malformed request.")}, status=400)
        error = (
            iban_error(iban) if iban else _("Enter the IBAN of the account to debit.")
        )
        if error:
            return JsonResponse({"error": error}, status=400)
        if not accepted:
            return JsonResponse(
                {"error": _("A direct debit needs your agreement to the mandate.")},
                status=400,
            )
        mandate = {
            "text": mandate_text(),
            "iban_country": iban[:2],
            "iban_last4": iban[-4:],
        }
    try:
        client_secret = recurring_prepare_card_change(plan, mandate=mandate)
    except RecurringStateError:
        return JsonResponse({"error": _("This monthly gift is stopped.")}, status=409)
    except gateway.GatewayUnavailable:
        return JsonResponse(
            {"error": _("The payment service is not answering; please try again.")},
            status=503,
        )
    return JsonResponse(
        {
            "client_secret": client_secret,
            "method": plan.method,
            "billing_name": plan.donor.display_name,
            "billing_email": plan.donor.email,
        }
    )


@require_POST
def card_finish(request, token):
    try:
        plan = plan_from_token(token)
    except (LinkExpired, LinkInvalid):
        return JsonResponse({"error": _("This link is not valid.")}, status=404)
    try:
        setup_intent_id = str(json.loads(request.body or b"{}")["setup_intent"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("Malformed request.")}, status=400)
    try:
        plan = recurring_finish_card_change(plan, setup_intent_id)
    except RecurringStateError:
        return JsonResponse(
            {"error": _("This card or account could not be used.")}, status=409
        )
    except gateway.GatewayUnavailable:
        return JsonResponse(
            {"error": _("The payment service is not answering; please try again.")},
            status=503,
        )
    messages.success(request, _("Your new card or account will be used from now on."))
    return JsonResponse({"status": "ok", "status_plan": plan.status})


@require_GET
def authenticate(request, token):
    try:
        gift = gift_from_authenticate_token(token)
    except (LinkExpired, LinkInvalid) as exc:
        return _link_problem(request, exc)
    client_secret = ""
    stopped = (
        gift.recurring is not None
        and gift.recurring.status == RecurringGift.Status.STOPPED
    )
    if stopped:
        # The donor stopped the gift since: this month is not taken either.
        pass
    elif gift.status == Gift.Status.PENDING and gift.stripe_payment_intent_id:
        try:
            intent = gateway.payment_intent_retrieve(gift.stripe_payment_intent_id)
        except gateway.GatewayUnavailable:
            return render(
                request,
                "payments/monthly_authenticate.html",
                {"gift": gift, "unavailable": True},
                status=503,
            )
        if intent.status == "requires_action":
            client_secret = intent.client_secret
    return render(
        request,
        "payments/monthly_authenticate.html",
        {
            "gift": gift,
            "client_secret": client_secret,
            "confirm_url": reverse("campaigns:gift_confirm", args=[str(gift.token)]),
            "stripe_js_url": settings.STRIPE_JS_URL,
            "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "js_messages": {
                "working": _("Confirming…"),
                "paid": _("Thank you: this month's gift is confirmed."),
                "failed": _(
                    "The payment was not authenticated by your bank. Nothing was charged."
                ),
            },
            "stopped": stopped,
        },
    )
