import json
import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from djmoney.money import Money

from campaigns.forms import DonationForm
from campaigns.models import Campaign
from campaigns.sources import utm_from, utm_query
from campaigns.tax import (
    company_rules,
    cost_after_relief,
    ifi_offered,
    ifi_preview,
    ifi_wording,
)
from campaigns.valuation import campaign_currencies
from ledger.selectors import public_progress
from payments import gateway, throttle
from payments.models import Gift
from payments.services import (
    GiftStateError,
    gift_charge,
    gift_create,
    gift_prepare_payment,
    gift_refresh_from_stripe,
)
from wall.services import wall_record_for_gift

logger = logging.getLogger(__name__)


def _public_campaigns():
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT)


@require_safe
def home(request):
    campaigns = _public_campaigns().order_by("status", "-starts_on")
    return render(request, "campaigns/home.html", {"campaigns": campaigns})


@require_safe
@xframe_options_exempt
@cache_control(max_age=60, public=True)
def campaign_embed(request, slug):
    """A campaign's progress, made to be framed by the foundation's own site.

    The only page that may be shown in a frame: it holds no form, and its
    Donate link opens the donate page in a new tab, out of the frame.
    """
    campaign = get_object_or_404(_public_campaigns(), slug=slug)
    return render(
        request,
        "campaigns/embed.html",
        {"campaign": campaign, "utm_query": utm_query(request.GET)},
    )


@require_safe
def campaign_detail(request, slug):
    campaign = get_object_or_404(_public_campaigns(), slug=slug)
    beneficiaries = list(campaign.beneficiaries.filter(public_consent=True))
    if beneficiaries:
        progress = public_progress(campaign, timezone.localdate().year)
        for beneficiary in beneficiaries:
            beneficiary.funded_percent = progress.get(beneficiary.pk)
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "beneficiaries": beneficiaries,
            "utm_query": utm_query(request.GET),
        },
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _unavailable():
    return JsonResponse(
        {
            "error": _(
                "The payment service is not answering. Nothing was charged; please try again in a moment."
            )
        },
        status=503,
    )


@require_http_methods(["GET", "POST"])
def donate(request, slug):
    campaign = get_object_or_404(_public_campaigns(), slug=slug)
    if not campaign.accepts_gifts():
        return render(
            request, "campaigns/closed.html", {"campaign": campaign}, status=410
        )

    if request.method == "GET":
        initial = {}
        if request.GET.get("amount", "").replace(".", "", 1).isdigit():
            initial["amount"] = request.GET["amount"]
        initial.update(utm_from(request.GET))
        form = DonationForm(campaign=campaign, initial=initial)
        return _render_donate(request, campaign, form)

    if throttle.donate_locked():
        return _busy()
    form = DonationForm(request.POST, campaign=campaign)
    if not form.is_valid():
        logger.info(
            "donate form refused for campaign %s: %s", campaign.pk, sorted(form.errors)
        )
        if _wants_json(request):
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        return _render_donate(request, campaign, form, status=400)

    if not throttle.donate_allowed(
        ip=throttle.client_ip(request), email=form.cleaned_data["email"]
    ):
        return _busy()
    language = translation.get_language()[:2]
    with transaction.atomic():
        gift = gift_create(
            campaign=campaign,
            donor_details=form.donor_details(language),
            amount=Money(form.cleaned_data["amount"], form.cleaned_data["currency"]),
            beneficiary=form.cleaned_data.get("beneficiary"),
            anonymous=form.cleaned_data["anonymous"],
            language=language,
            method=form.cleaned_data["method"],
            monthly=form.cleaned_data["frequency"] == "monthly",
            mandate=form.mandate(),
            source=utm_from(form.cleaned_data),
        )
        wall_record_for_gift(gift, **form.wall_details())
    try:
        client_secret = gift_prepare_payment(gift)
    except gateway.GatewayUnavailable:
        return _unavailable()
    except gateway.GatewayError:
        logger.exception("gift %s: could not prepare payment", gift.pk)
        return JsonResponse(
            {"error": _("The payment could not be prepared.")}, status=502
        )

    token = str(gift.token)
    return JsonResponse(
        {
            "gift": token,
            "client_secret": client_secret,
            "pay_url": reverse("campaigns:gift_pay", args=[token]),
            "confirm_url": reverse("campaigns:gift_confirm", args=[token]),
            "thanks_url": reverse("campaigns:gift_thanks", args=[token]),
            "billing_name": gift.donor.display_name,
            "billing_email": gift.donor.email,
            "method": gift.method,
        }
    )


def _render_donate(request, campaign, form, status=200):
    ifi = None
    if ifi_offered():
        ifi = {
            **ifi_preview(campaign_currencies(campaign.currency)),
            "message": _("After the IFI reduction this gift costs you %(cost)s."),
        }
    return render(
        request,
        "campaigns/donate.html",
        {
            "campaign": campaign,
            "form": form,
            "suggested": campaign.suggested_amounts.all(),
            "stripe_js_url": settings.STRIPE_JS_URL,
            "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "mandate_text": form.mandate_text(),
            "js_messages": {
                "cost": _("After tax relief this gift costs you %(cost)s."),
                "cost_company_ceiling": _(
                    "After the company tax reduction this gift costs %(cost)s; "
                    "the part above your yearly ceiling carries over to the next "
                    "five years."
                ),
                "cost_company": _(
                    "After the company tax reduction this gift costs %(cost)s."
                ),
                "working": _("Processing your gift…"),
                "check_form": _("Please correct the highlighted fields."),
                "failed": _("The payment did not go through. Nothing was charged."),
                "network": _(
                    "The connection was lost. Nothing was charged; please try again."
                ),
                "unconfirmed": _(
                    "We could not confirm your payment. Press Donate again to "
                    "finish: your card will not be charged twice."
                ),
                "card_refused": _(
                    "Your card was declined. Check its details or use another card."
                ),
                "authentication_failed": _(
                    "The payment was not authenticated by your bank. Nothing was charged."
                ),
                "account_refused": _(
                    "This bank account could not be set up for direct debit. "
                    "Check the IBAN or give by card."
                ),
            },
            "tax_rates": {
                "individual": str(settings.TAX_RATE_INDIVIDUAL),
                "company": str(settings.TAX_RATE_COMPANY),
            },
            "company_rules": company_rules(),
            "ifi": ifi,
            **ifi_wording(),
        },
        status=status,
    )


def _gift_or_404(token) -> Gift:
    return get_object_or_404(Gift.objects.select_related("campaign"), token=token)


def _outcome_response(outcome, gift):
    body = {"status": outcome.status}
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
    if outcome.status == "declined":
        # Our words, in the page's language, rather than the bank's English.
        body["error"] = _(
            "Your card was declined. Check its details or use another card."
        )
    if outcome.status in ("paid", "processing"):
        body["thanks_url"] = reverse("campaigns:gift_thanks", args=[str(gift.token)])
    return JsonResponse(body, status=402 if outcome.status == "declined" else 200)


def _busy():
    return JsonResponse(
        {
            "error": _(
                "Too many payment attempts in a short time. Please wait a few "
                "minutes before trying again."
            )
        },
        status=429,
    )


def _unconfirmed():
    return JsonResponse(
        {
            "error": _(
                "We could not confirm your payment. Press Donate again to finish: "
                "your card will not be charged twice."
            )
        },
        status=503,
    )


@require_POST
def gift_pay(request, token):
    gift = _gift_or_404(token)
    try:
        payload = json.loads(request.body or b"{}")
        setup_intent_id = str(payload["setup_intent"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("Malformed request.")}, status=400)
    try:
        outcome = gift_charge(gift, setup_intent_id=setup_intent_id)
    except GiftStateError as exc:
        logger.warning("gift %s: pay refused: %s", gift.pk, exc)
        return JsonResponse({"error": _("This gift cannot be paid now.")}, status=409)
    except gateway.GatewayUnavailable:
        # The charge may have gone through without its answer reaching us:
        # the donor retries this same gift, never a new one.
        logger.warning("gift %s: charge not confirmed, Stripe unavailable", gift.pk)
        return _unconfirmed()
    except DatabaseError:
        logger.exception("gift %s: charge not recorded", gift.pk)
        return _unconfirmed()
    return _outcome_response(outcome, gift)


@require_POST
def gift_confirm(request, token):
    """After the browser completed 3-D Secure: re-read the intent from Stripe."""
    gift = _gift_or_404(token)
    if not gift.stripe_payment_intent_id:
        return JsonResponse({"error": _("This payment was not started.")}, status=409)
    try:
        gift = gift_refresh_from_stripe(gift)
    except gateway.GatewayUnavailable:
        return _unconfirmed()
    if gift.status == Gift.Status.PAID:
        status = "paid"
    elif gift.status == Gift.Status.FAILED:
        status = "declined"
    else:
        status = "processing"
    body = {"status": status}
    if status == "declined":
        body["error"] = _("The payment was not authenticated. Nothing was charged.")
        return JsonResponse(body, status=402)
    body["thanks_url"] = reverse("campaigns:gift_thanks", args=[str(gift.token)])
    return JsonResponse(body)


@require_safe
def gift_thanks(request, token):
    gift = _gift_or_404(token)
    started = gift.status == Gift.Status.PENDING and gift.stripe_payment_intent_id
    if gift.status != Gift.Status.PAID and not started:
        raise Http404
    # What the donor answered with this gift, not what the donor row says now.
    details = gift.donor_details or {}
    kind = details.get("kind", gift.donor.kind)
    taxed = details.get("taxed_in_france", gift.donor.taxed_in_france)
    cost = cost_after_relief(gift.amount.amount, kind)
    return render(
        request,
        "campaigns/thanks.html",
        {
            "gift": gift,
            "campaign": gift.campaign,
            "taxed_in_france": taxed,
            "cost_after_tax": Money(cost, gift.amount.currency),
            "receipt_year_after": (gift.tax_date.year + 1) if gift.tax_date else None,
        },
    )
