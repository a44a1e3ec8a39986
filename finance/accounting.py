"""The accounting export: the year's money movements as journal lines.

Each gift paid, refund made, Stripe fee and payout is one entry of two lines,
a debit and a credit of the same amount, so the file imports as balanced
entries. Lines carry the campaign's slug as analytic code, the amount in the
gift's own currency, and a reference the accountant can trace: the receipt
number for a gift, the Stripe id for a refund, a fee or a payout.

Account numbers and journal codes are settings (``MECENE_ACCOUNTING``,
docs/exports.md). Fees and payouts come from the reconciliation app through
two functions named in that setting; while it is not installed, the export
simply has no fee or payout lines.
"""

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finance.export_datasets import (
    CHUNK_SIZE,
    Dataset,
    ExportFilters,
    paid_gifts,
    paris,
    register,
    year_bounds,
)
from payments.models import Refund
from receipts.selectors import issued_receipt_number

HEADER = (
    "entry",
    "date",
    "journal",
    "account",
    "analytic_code",
    "label",
    "debit",
    "credit",
    "currency",
    "gift_id",
    "reference",
)
# French chart of accounts for foundations (PCG, ANC 2018-06); a site
# overrides any of them with MECENE_ACCOUNTING in its settings.
DEFAULTS = {
    "journal_gifts": "DON",
    "journal_bank": "BQ",
    "account_gifts": "754100",  # Dons manuels
    "account_fees": "627800",  # Frais et commissions bancaires
    "account_bank": "512000",  # Banque
    "account_stripe": "467100",  # Stripe: money held until its payout
    # The account a gift's money lands on, by payment method.
    "account_by_method": {
        "card": "467100",
        "sepa": "467100",
        "transfer": "512000",
        "cheque": "511200",  # Chèques à encaisser
        "cash": "530000",  # Caisse
    },
    # "module.function" giving fee and payout rows (docs/exports.md); empty
    # or pointing at an app that is not installed means none.
    "fee_lines": "reconcile.exports.fee_lines",
    "payout_lines": "reconcile.exports.payout_lines",
}
# Methods whose money goes through Stripe, so have fees and payouts.
STRIPE_METHODS = ("card", "sepa")


def accounting_settings() -> dict:
    return {**DEFAULTS, **getattr(settings, "MECENE_ACCOUNTING", {})}


@dataclass(frozen=True)
class Movement:
    """One entry before it is split into its debit and credit lines."""

    entry: str
    at: datetime  # naive, Paris time
    journal: str
    debit_account: str
    credit_account: str
    analytic: str
    label: str
    amount: Decimal
    currency: str
    gift_id: object
    reference: str


def _moment(value) -> datetime:
    """A hook's date or aware datetime as a naive Paris time, for ordering."""
    if isinstance(value, datetime):
        return paris(value)
    return datetime.combine(value, time())


def movement_lines(movement: Movement) -> tuple[tuple, tuple]:
    day = movement.at.date()
    common = (movement.analytic, movement.label)
    tail = (movement.currency, movement.gift_id or "", movement.reference)
    debit = (
        movement.entry,
        day,
        movement.journal,
        movement.debit_account,
        *common,
        movement.amount,
        None,
        *tail,
    )
    credit = (
        movement.entry,
        day,
        movement.journal,
        movement.credit_account,
        *common,
        None,
        movement.amount,
        *tail,
    )
    return debit, credit


def _gift_movements(
    filters: ExportFilters, conf: dict, labels: dict
) -> Iterator[Movement]:
    # Refunded gifts were paid too: the refund is its own entry.
    gifts = (
        paid_gifts(ExportFilters(filters.year, filters.campaign, None, filters.method))
        .annotate(issued_receipt=issued_receipt_number())
        .order_by("paid_at", "pk")
        .values_list(
            "pk",
            "paid_at",
            "amount",
            "amount_currency",
            "method",
            "campaign__slug",
            "issued_receipt",
        )
    )
    label = labels["gift"]
    for pk, paid_at, amount, currency, method, campaign, receipt in gifts.iterator(
        chunk_size=CHUNK_SIZE
    ):
        yield Movement(
            entry=f"G{pk}",
            at=paris(paid_at),
            journal=conf["journal_gifts"],
            debit_account=conf["account_by_method"].get(method, conf["account_bank"]),
            credit_account=conf["account_gifts"],
            analytic=campaign,
            label=label % {"id": pk},
            amount=amount,
            currency=currency,
            gift_id=pk,
            reference=receipt or "",
        )


def _refunds(filters: ExportFilters):
    start, end = year_bounds(filters.year)
    refunds = Refund.objects.filter(created_at__gte=start, created_at__lt=end)
    if filters.campaign:
        refunds = refunds.filter(gift__campaign__slug=filters.campaign)
    if filters.method:
        refunds = refunds.filter(gift__method=filters.method)
    return refunds


def _refund_movements(
    filters: ExportFilters, conf: dict, labels: dict
) -> Iterator[Movement]:
    refunds = (
        _refunds(filters)
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "created_at",
            "amount",
            "amount_currency",
            "gift_id",
            "gift__method",
            "gift__campaign__slug",
            "stripe_refund_id",
        )
    )
    label = labels["refund"]
    for (
        pk,
        created_at,
        amount,
        currency,
        gift_id,
        method,
        campaign,
        stripe_id,
    ) in refunds.iterator(chunk_size=CHUNK_SIZE):
        yield Movement(
            entry=f"R{pk}",
            at=paris(created_at),
            journal=conf["journal_gifts"],
            debit_account=conf["account_gifts"],
            credit_account=conf["account_by_method"].get(method, conf["account_bank"]),
            analytic=campaign,
            label=label % {"id": gift_id},
            amount=amount,
            currency=currency,
            gift_id=gift_id,
            reference=stripe_id or f"refund-{pk}",
        )


def _source(conf: dict, key: str):
    """The function named by ``conf[key]``, or None while its app is absent."""
    path = conf.get(key)
    if not path:
        return None
    app_label = path.split(".", 1)[0]
    if not apps.is_installed(app_label):
        return None
    try:
        import_module(path.rsplit(".", 1)[0])
        return import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"MECENE_ACCOUNTING[{key!r}]: {exc}") from exc


def _money(row: dict, key: str) -> tuple[Decimal, str]:
    value = row[key]
    return value.amount, str(value.currency)


def _fee_movements(
    filters: ExportFilters, conf: dict, labels: dict
) -> Iterator[Movement]:
    fee_lines = _source(conf, "fee_lines")
    if fee_lines is None or (filters.method and filters.method not in STRIPE_METHODS):
        return
    start, end = year_bounds(filters.year)
    label = labels["fee"]
    for row in fee_lines(start, end):
        if filters.campaign and row["campaign"] != filters.campaign:
            continue
        amount, currency = _money(row, "fee")
        yield Movement(
            entry=f"F{row['reference']}",
            at=_moment(row["at"]),
            journal=conf["journal_bank"],
            debit_account=conf["account_fees"],
            credit_account=conf["account_stripe"],
            analytic=row["campaign"],
            label=label % {"id": row["gift_id"]},
            amount=amount,
            currency=currency,
            gift_id=row["gift_id"],
            reference=row["reference"],
        )


def _payout_movements(
    filters: ExportFilters, conf: dict, labels: dict
) -> Iterator[Movement]:
    payout_lines = _source(conf, "payout_lines")
    # A payout pays many campaigns' gifts at once: it belongs to no single
    # campaign and no single method, so a filtered export leaves it out.
    if payout_lines is None or filters.campaign or filters.method:
        return
    start, end = year_bounds(filters.year)
    label = labels["payout"]
    for row in payout_lines(start, end):
        amount, currency = _money(row, "amount")
        yield Movement(
            entry=f"P{row['reference']}",
            at=_moment(row["at"]),
            journal=conf["journal_bank"],
            debit_account=conf["account_bank"],
            credit_account=conf["account_stripe"],
            analytic="",
            label=label % {"reference": row["reference"]},
            amount=amount,
            currency=currency,
            gift_id="",
            reference=row["reference"],
        )


def accounting_rows(filters: ExportFilters) -> Iterator[tuple]:
    """Every movement of the year in date order, as debit and credit lines."""
    conf = accounting_settings()
    # The foundation keeps its books in the site's language, whoever exports.
    with translation.override(settings.LANGUAGE_CODE):
        labels = {
            "gift": _("Gift %(id)s"),
            "refund": _("Refund of gift %(id)s"),
            "fee": _("Stripe fee on gift %(id)s"),
            "payout": _("Stripe payout %(reference)s"),
        }
    sources: list[Iterable[Movement]] = [
        _gift_movements(filters, conf, labels),
        _refund_movements(filters, conf, labels),
        _fee_movements(filters, conf, labels),
        _payout_movements(filters, conf, labels),
    ]
    # Each source is already in time order; merging holds one movement of
    # each in memory.
    for movement in heapq.merge(*sources, key=lambda movement: movement.at):
        yield from movement_lines(movement)


def accounting_count(filters: ExportFilters) -> int:
    """Lines from the database; fee and payout lines are not counted ahead."""
    gifts = paid_gifts(
        ExportFilters(filters.year, filters.campaign, None, filters.method)
    ).aggregate(n=Count("pk"))["n"]
    refunds = _refunds(filters).aggregate(n=Count("pk"))["n"]
    return 2 * (gifts + refunds)


register(
    Dataset(
        name="accounting",
        label=gettext_lazy("Accounting entries"),
        permission="payments.view_gift",
        header=HEADER,
        rows=accounting_rows,
        count=accounting_count,
    )
)
