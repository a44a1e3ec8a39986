"""Reads of receipts that other apps build on."""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from receipts.models import Receipt, ReceiptLine


def issued_receipt_number():
    """An annotation for gifts: the number of the receipt in force, if any.

    A gift's own issued receipt, or else the issued annual summary it is a
    line of; a replaced receipt gives way to its replacement.
    """
    own = Receipt.objects.filter(gift=OuterRef("pk"), status=Receipt.Status.ISSUED)
    on_summary = ReceiptLine.objects.filter(
        gift=OuterRef("pk"), active=True, receipt__status=Receipt.Status.ISSUED
    )
    return Coalesce(
        Subquery(own.values("number")[:1]),
        Subquery(on_summary.values("receipt__number")[:1]),
    )
