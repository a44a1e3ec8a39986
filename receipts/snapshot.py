"""The frozen content of an issued receipt.

An issued receipt never changes (receipts-fr.md, checklist 7): the issuing
service builds a ReceiptSnapshot once, stores ``to_dict()`` in the receipt row,
and every later rendering (the emailed PDF, a download, a duplicate) is made
from ``from_dict()`` of that stored value. Pure Python, so it can be tested and
rendered without Django.
"""

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any, Literal

DonorKind = Literal["individual", "company"]
PaymentMethod = Literal["card", "sepa", "transfer", "cheque", "cash"]

# Form code and CERFA number used when the settings name no other; an issued
# snapshot keeps the pair it was issued with.
DEFAULT_FORMS: dict[str, tuple[str, str]] = {
    "individual": ("2041-RD", "11580*05"),
    "company": ("2041-MEC-SD", "16216*03"),
}

# The labels of the CERFA boxes. The snapshot stores the label itself, so a
# duplicate prints exactly what the original printed: never reword one.
FORMES = (
    "Acte authentique",
    "Acte sous seing privé",
    "Déclaration de don manuel",
    "Autres",
)
NATURE_MONEY = "Numéraire"
NATURES = (
    NATURE_MONEY,
    "Titres de sociétés cotés",
    "Abandon exprès de revenus ou de produits",
    "Frais des bénévoles renonçant au remboursement",
    "Autres",
)
MODE_CASH = "Remise d'espèces"
MODE_CHEQUE = "Chèque"
MODE_BANK = "Virement, prélèvement, carte bancaire"
# Only the company form has an "Autre" mode; the individual form has none.
MODE_OTHER = "Autre"
# For gifts not in money, where no mode box applies.
MODE_NONE = ""
MODES = (MODE_CASH, MODE_CHEQUE, MODE_BANK, MODE_OTHER)

MODE_FOR_METHOD: dict[str, str] = {
    "card": MODE_BANK,
    "sepa": MODE_BANK,
    "transfer": MODE_BANK,
    "cheque": MODE_CHEQUE,
    "cash": MODE_CASH,
}
METHOD_LABELS: dict[str, str] = {
    "card": "Carte bancaire",
    "sepa": "Prélèvement",
    "transfer": "Virement",
    "cheque": "Chèque",
    "cash": "Espèces",
}

# Bumped when the stored layout changes, so old rows can still be read.
SCHEMA_VERSION = 1


def _require_decimal(name: str, value: object) -> None:
    # A float here would already have lost cents; refuse it at the boundary.
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a non-negative amount, got {value}")


def _require_choice(name: str, value: str, choices: Collection[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} {value!r} is not one of {sorted(choices)}")


@dataclass(frozen=True)
class FoundationBlock:
    name: str
    siren: str
    rna: str
    address_line: str
    postal_code: str
    city: str
    country: str
    object: str
    category_line: str
    signatory_name: str
    signatory_capacity: str
    signature_image_path: str | None = None


@dataclass(frozen=True)
class DonorBlock:
    kind: DonorKind
    last_name: str
    first_names: str
    company_name: str
    legal_form: str
    siren: str
    address_line: str
    postal_code: str
    city: str
    country: str

    def __post_init__(self) -> None:
        # The donor type picks the legal form; guessing it would issue the
        # wrong CERFA (receipts-fr.md, checklist 1).
        _require_choice("donor kind", self.kind, DEFAULT_FORMS)


@dataclass(frozen=True)
class PaymentLine:
    date: date
    amount: Decimal
    method: PaymentMethod

    def __post_init__(self) -> None:
        _require_decimal("payment amount", self.amount)
        _require_choice("payment method", self.method, MODE_FOR_METHOD)


@dataclass(frozen=True)
class ReceiptSnapshot:
    number: str
    issued_on: date
    form_code: str
    form_version: str
    foundation: FoundationBlock
    donor: DonorBlock
    payments: tuple[PaymentLine, ...]
    total: Decimal  # EUR, gross of processor fees
    words: str
    article_200: bool
    article_978: bool
    forme: str
    nature: str
    mode: str
    # The number of the receipt this one cancels and replaces (partial refund).
    replaces_number: str = ""

    def __post_init__(self) -> None:
        if not self.number:
            raise ValueError("a receipt needs its order number")
        if not self.payments:
            raise ValueError("a receipt covers at least one payment")
        _require_decimal("total", self.total)
        # The receipt prints both the payment lines and the total; a mismatch
        # would certify an amount the lines do not support.
        paid = sum((p.amount for p in self.payments), Decimal(0))
        if paid != self.total:
            raise ValueError(f"total {self.total} differs from payments {paid}")
        _require_choice("forme", self.forme, FORMES)
        _require_choice("nature", self.nature, NATURES)
        _require_choice("mode", self.mode, (*MODES, MODE_NONE))

    @property
    def first_payment_on(self) -> date:
        return min(p.date for p in self.payments)

    @property
    def last_payment_on(self) -> date:
        return max(p.date for p in self.payments)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: Decimals as strings, dates as ISO 8601."""
        data = _plain(self)
        data["schema"] = SCHEMA_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReceiptSnapshot":
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unknown receipt snapshot schema {data.get('schema')}")
        values = {k: v for k, v in data.items() if k != "schema"}
        values["issued_on"] = date.fromisoformat(values["issued_on"])
        values["total"] = Decimal(values["total"])
        values["foundation"] = FoundationBlock(**values["foundation"])
        values["donor"] = DonorBlock(**values["donor"])
        values["payments"] = tuple(
            PaymentLine(
                date=date.fromisoformat(p["date"]),
                amount=Decimal(p["amount"]),
                method=p["method"],
            )
            for p in values["payments"]
        )
        return cls(**values)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        # str() keeps the exponent, so "120.50" comes back as 120.50.
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value
