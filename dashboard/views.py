"""The staff dashboard: one page per campaign, and the JSON it polls."""

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from djmoney.money import Money

from campaigns.models import Campaign
from campaigns.templatetags.money import money_short
from dashboard import charts
from dashboard.selectors import (
    DAYS,
    WEEKS,
    campaign_series,
    dashboard_campaigns,
    default_campaign,
    kind_split,
    last_gifts,
    method_split,
    monthly_commitments,
    source_split,
)
from dashboard.services import PARIS
from payments.models import Gift

# The dashboard shows the daily totals; campaign managers and administrators
# hold this permission (roles/definitions.py).
DASHBOARD_PERMISSION = "dashboard.view_dailytotal"


def staff_view(view):
    """Staff only, and only those who may see the campaigns' figures."""
    return staff_member_required(
        permission_required(DASHBOARD_PERMISSION, raise_exception=True)(
            require_GET(view)
        )
    )


@staff_view
def index(request):
    campaigns = dashboard_campaigns()
    asked = request.GET.get("campaign")
    chosen = next((c for c in campaigns if c.slug == asked), None)
    chosen = chosen or default_campaign(campaigns)
    if chosen is None:
        return render(request, "dashboard/empty.html")
    return redirect("dashboard:campaign", slug=chosen.slug)


@staff_view
def campaign_page(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    context = {
        "campaign": campaign,
        "campaigns": dashboard_campaigns(),
        **_payload(request, campaign),
    }
    return render(request, "dashboard/campaign.html", context)


@staff_view
def campaign_data(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    payload = _payload(request, campaign)
    return JsonResponse(
        {
            "campaign": {
                "slug": campaign.slug,
                "title": campaign.title,
                "currency": campaign.currency,
            },
            **payload,
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _payload(request, campaign: Campaign) -> dict:
    """What the page shows and the JSON carries, built once for both."""
    now = timezone.now()
    today = now.astimezone(PARIS).date()
    # The charts change only when a gift is paid or refunded (which touches
    # the campaign row) or the day turns: drawing three SVGs costs about
    # 25 ms each, so they are kept until then instead of redrawn every poll.
    cache_key = (
        f"dashboard:charts:{campaign.pk}:{campaign.updated_at.timestamp()}:"
        f"{today}:{translation.get_language()}"
    )
    rendered = cache.get(cache_key)
    if rendered is None:
        rendered = _render_charts(request, campaign, today)
        cache.set(cache_key, rendered, timeout=24 * 3600)
    return {
        "generated_at": now.isoformat(),
        "generated_text": date_format(now.astimezone(PARIS), "H:i:s"),
        "figures": _figures(campaign),
        "charts": rendered,
        "last_gifts": [_gift_row(row, campaign) for row in last_gifts(campaign)],
    }


def _figures(campaign: Campaign) -> dict:
    """Headline figures from the campaign's stored totals, as a number for
    machines and a text for people."""
    raised, count = campaign.raised, campaign.gift_count
    average = (
        Money(
            (raised.amount / count).quantize(Decimal("0.01"), ROUND_HALF_UP),
            campaign.currency,
        )
        if count
        else None
    )

    def money(value):
        if value is None:
            return {"value": None, "text": "–"}
        return {"value": str(value.amount), "text": money_short(value)}

    return {
        "raised": money(raised),
        "goal": money(campaign.goal),
        "percent": {"value": campaign.percent, "text": f"{campaign.percent} %"},
        "bar_percent": {"value": campaign.bar_percent, "text": ""},
        "donors": {"value": campaign.donor_count, "text": str(campaign.donor_count)},
        "gifts": {"value": count, "text": str(count)},
        "average_gift": money(average),
        **_kind_figures(campaign, money),
    }


def _kind_figures(campaign: Campaign, money) -> dict:
    """One-off gifts against monthly gifts' payments (net of refunds), and
    what the active monthly gifts bring each month."""
    kinds = kind_split(campaign)
    one_off, monthly = kinds[False], kinds[True]
    plans = monthly_commitments(campaign)
    per_month = " + ".join(
        money_short(Money(row["total"], row["amount_currency"])) for row in plans
    )
    active = sum(row["count"] for row in plans)
    return {
        "one_off_gifts": {"value": one_off["gifts"], "text": str(one_off["gifts"])},
        "one_off_amount": money(Money(one_off["net"], campaign.currency)),
        "monthly_payments": {
            "value": monthly["gifts"],
            "text": str(monthly["gifts"]),
        },
        "monthly_amount": money(Money(monthly["net"], campaign.currency)),
        "monthly_active": {"value": active, "text": str(active)},
        "monthly_per_month": {
            "value": [
                {"currency": row["amount_currency"], "amount": str(row["total"])}
                for row in plans
            ],
            "text": per_month or "–",
        },
    }


def _series_rows(series, currency: str) -> list[dict]:
    return [
        {
            "start": date_format(start, "D j M"),
            "gifts": gifts,
            "net": money_short(Money(net, currency)),
        }
        for start, gifts, net in series.rows()
    ]


def _gift_row(row: dict, campaign: Campaign) -> dict:
    amount = Money(row["amount"], campaign.currency)
    if row["status"] == Gift.Status.REFUNDED:
        note = _("Refunded")
    elif row["refunded_amount"]:
        note = _("Partly refunded: %(amount)s") % {
            "amount": money_short(Money(row["refunded_amount"], campaign.currency))
        }
    else:
        note = ""
    return {
        "paid_at": row["paid_at"].isoformat(),
        "when": date_format(row["paid_at"].astimezone(PARIS), "j M Y, H:i"),
        "amount": money_short(amount),
        "campaign": campaign.title,
        "donor": donor_label(row),
        "method": str(Gift.Method(row["method"]).label),
        "note": note,
    }


def donor_label(row: dict) -> str:
    """First name and initial, the company's name, or "Anonymous"; never
    more of a person (no email, no address, no full surname)."""
    if row["anonymous"]:
        return _("Anonymous")
    if row["donor__kind"] == "company":
        return row["donor__company_name"] or _("A company")
    first = (row["donor__first_name"] or "").strip()
    initial = (row["donor__last_name"] or "").strip()[:1].upper()
    if first and initial:
        return f"{first} {initial}."
    return first or _("Unnamed donor")


def _render_charts(request, campaign: Campaign, today) -> dict[str, str]:
    currency = campaign.currency
    daily, weekly = campaign_series(campaign, today=today)
    split = method_split(campaign)

    chart_specs = {
        "daily": (
            charts.gifts_chart(
                daily,
                title=_("Gifts per day, last %(n)s days") % {"n": DAYS},
                labels=charts.day_labels(daily),
                summary=charts.series_summary(
                    daily, currency=currency, period=_("Last 30 days")
                ),
            ),
            _("Day"),
            daily,
        ),
        "weekly": (
            charts.gifts_chart(
                weekly,
                title=_("Gifts per week, last %(n)s weeks") % {"n": WEEKS},
                labels=charts.day_labels(weekly),
                summary=charts.series_summary(
                    weekly, currency=currency, period=_("Last 26 weeks")
                ),
            ),
            _("Week starting"),
            weekly,
        ),
    }
    rendered = {
        key: render_to_string(
            "dashboard/_series_chart.html",
            {"key": key, "svg": svg, "bucket": bucket, "rows": _series_rows(s, currency)},
            request=request,
        )
        for key, (svg, bucket, s) in chart_specs.items()
    }  # fmt: skip
    rendered["sources"] = render_to_string(
        "dashboard/_sources.html",
        {
            "rows": [
                {
                    "source": row["source"] or _("No tag (direct or unknown)"),
                    "gifts": row["gifts"],
                    "net_text": money_short(Money(row["net"], currency)),
                }
                for row in source_split(campaign)
            ]
        },
        request=request,
    )
    rendered["methods"] = render_to_string(
        "dashboard/_methods_chart.html",
        {
            "svg": charts.methods_chart(
                split,
                currency=currency,
                summary=charts.methods_summary(split, currency=currency),
            ),
            "rows": [
                {**row, "net_text": money_short(Money(row["net"], currency))}
                for row in split
            ],
        },
        request=request,
    )
    return rendered
