"""Receipt snapshots to render in tests: an individual, a company, an annual one."""

import io
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from receipts.pdf import render_receipt_pdf
from receipts.snapshot import (
    DEFAULT_FORMS,
    MODE_BANK,
    DonorBlock,
    FoundationBlock,
    PaymentLine,
    ReceiptSnapshot,
)
from receipts.words import amount_in_words_fr

CATEGORY = (
    "Fondation universitaire ou fondation partenariale mentionnées "
    "respectivement aux articles L. 719-12 et L. 719-13 du code de l'éducation"
)


def make_foundation(**overrides) -> FoundationBlock:
    values = dict(
        name="Fondation Université Exemple",
        siren="130026123",
        rna="",
        address_line="12 rue des Écoles",
        postal_code="75005",
        city="Paris",
        country="France",
        object="Soutenir la formation et la recherche de l'université",
        category_line=CATEGORY,
        signatory_name="Claire Martin",
        signatory_capacity="Présidente",
        signature_image_path=None,
    )
    return FoundationBlock(**(values | overrides))


def make_individual() -> DonorBlock:
    return DonorBlock(
        kind="individual",
        last_name="Dvořák",
        first_names="Łukasz Anton",
        company_name="",
        legal_form="",
        siren="",
        address_line="3 allée des Tilleuls",
        postal_code="69003",
        city="Lyon",
        country="France",
    )


def make_company() -> DonorBlock:
    return DonorBlock(
        kind="company",
        last_name="",
        first_names="",
        company_name="Ørsted Énergies",
        legal_form="SAS",
        siren="552100554",
        address_line="5 quai de Seine",
        postal_code="75019",
        city="Paris",
        country="France",
    )


def make_snapshot(donor=None, payments=None, **overrides) -> ReceiptSnapshot:
    donor = donor or make_individual()
    payments = tuple(
        payments or [PaymentLine(date(2026, 3, 15), Decimal("120.50"), "card")]
    )
    total = sum((p.amount for p in payments), Decimal(0))
    form_code, form_version = DEFAULT_FORMS[donor.kind]
    values = dict(
        number="2026-000123",
        issued_on=date(2026, 3, 16),
        form_code=form_code,
        form_version=form_version,
        foundation=make_foundation(),
        donor=donor,
        payments=payments,
        total=total,
        words=amount_in_words_fr(total),
        article_200=donor.kind == "individual",
        article_978=False,
        forme="Déclaration de don manuel",
        nature="Numéraire",
        mode=MODE_BANK,
    )
    return ReceiptSnapshot(**(values | overrides))


def make_company_snapshot(**overrides) -> ReceiptSnapshot:
    payment = PaymentLine(date(2026, 6, 1), Decimal("1500.00"), "transfer")
    return make_snapshot(make_company(), [payment], **overrides)


def make_annual_snapshot() -> ReceiptSnapshot:
    monthly = [
        PaymentLine(date(2026, month, 5), Decimal("25.00"), "sepa")
        for month in range(1, 13)
    ]
    return make_snapshot(payments=monthly, issued_on=date(2027, 1, 10))


def pages_text(document: bytes) -> list[str]:
    # Whitespace is normalised: line wraps and no-break spaces are layout.
    reader = PdfReader(io.BytesIO(document))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def text_of(snapshot: ReceiptSnapshot, **kwargs) -> str:
    return " ".join(pages_text(render_receipt_pdf(snapshot, **kwargs)))
