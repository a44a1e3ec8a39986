import logging
import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from campaigns.templatetags.money import money_short
from campaigns.valuation import campaign_currencies
from donors.countries import COUNTRIES
from donors.models import Donor
from donors.validators import siren_is_valid
from fx.rates import MissingRate, rate_on
from payments.currency import gift_limits
from payments.sepa import iban_error, mandate_text
from wall.forms import WallFieldsForm

logger = logging.getLogger(__name__)

ENGLISH_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?", re.ASCII)
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?", re.ASCII)
FRENCH_POSTCODE = re.compile(r"\d{5}", re.ASCII)


class AmountField(forms.DecimalField):
    """A decimal amount typed the French or the English way ("50,5", "1 000")."""

    widget = forms.TextInput

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s\u00a0\u202f]", "", value)
            if ENGLISH_THOUSANDS.fullmatch(value):
                value = value.replace(",", "")
            elif value.count(",") == 1 and "." not in value:
                value = value.replace(",", ".")
            # Decimal() also reads "٥٠", "５０", "5_0" and "1e9": a donor's
            # amount is plain ASCII digits or nothing.
            if value and not PLAIN_NUMBER.fullmatch(value):
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                )
        return super().to_python(value)


# The wall message and dedication fields come from the wall app's form; the
# donate page shows them in their own fieldset.
class DonationForm(WallFieldsForm, forms.Form):
    amount = AmountField(
        label=_("Amount"), max_digits=12, decimal_places=2, localize=False
    )
    # Next to the amount; the choices are the campaign's (see __init__).
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    beneficiary = forms.ModelChoiceField(
        label=_("Would you like to support one athlete in particular?"),
        help_text=_(
            "Your wish guides the foundation, which awards the bourses; the gift "
            "remains a gift to the foundation."
        ),
        queryset=None,
        required=False,
        empty_label=_("The whole campaign"),
    )
    kind = forms.ChoiceField(
        label=_("I give as"),
        choices=Donor.Kind.choices,
        widget=forms.RadioSelect,
        initial=Donor.Kind.INDIVIDUAL,
    )
    first_name = forms.CharField(
        label=_("First name(s)"), max_length=120, required=False
    )
    last_name = forms.CharField(label=_("Last name"), max_length=120, required=False)
    company_name = forms.CharField(
        label=_("Company legal name"), max_length=200, required=False
    )
    legal_form = forms.CharField(
        label=_("Legal form"),
        max_length=60,
        required=False,
        help_text=_("For example SAS, SARL, SA"),
    )
    siren = forms.CharField(label=_("SIREN"), max_length=11, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254)
    address_line = forms.CharField(label=_("Address"), max_length=250)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=120)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES, initial="FR")
    taxed_in_france = forms.TypedChoiceField(
        label=_("Do you pay income tax or corporate tax in France?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )
    receipt_preference = forms.ChoiceField(
        label=_("Tax receipt"),
        choices=Donor._meta.get_field("receipt_preference").choices,
        widget=forms.RadioSelect,
        initial="per_gift",
    )
    anonymous = forms.BooleanField(
        label=_("Keep my gift anonymous on public pages"), required=False
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=[("once", _("Once")), ("monthly", _("Every month"))],
        widget=forms.RadioSelect,
        initial="once",
        required=False,
    )
    method = forms.ChoiceField(
        label=_("Pay by"),
        choices=[
            ("card", _("Card")),
            ("sepa", _("Direct debit from a bank account (SEPA)")),
        ],
        widget=forms.RadioSelect,
        initial="card",
        required=False,
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        required=False,
        help_text=_("For example FR76 3000 6000 0112 3456 7890 189"),
    )
    mandate_accepted = forms.BooleanField(
        label=_("I accept the direct debit mandate above."), required=False
    )
    newsletter = forms.BooleanField(
        label=_(
            "I would like to receive the foundation's newsletter by email. "
            "I can unsubscribe at any time from my donor space."
        ),
        required=False,
    )

    # The tags of the link that brought the donor (campaigns/sources.py).
    utm_source = forms.CharField(
        required=False, max_length=200, widget=forms.HiddenInput
    )
    utm_medium = forms.CharField(
        required=False, max_length=200, widget=forms.HiddenInput
    )
    utm_campaign = forms.CharField(
        required=False, max_length=200, widget=forms.HiddenInput
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["beneficiary"].queryset = campaign.beneficiaries.filter(
            public_consent=True
        )
        if not self.fields["beneficiary"].queryset.exists():
            del self.fields["beneficiary"]
        currencies = campaign_currencies(campaign.currency)
        self.fields["currency"].choices = [(code, code) for code in currencies]
        self.fields["currency"].initial = campaign.currency
        self.fields["currency"].error_messages["invalid_choice"] = gettext(
            "Gifts are made in %(currencies)s only."
        ) % {"currencies": ", ".join(currencies)}
        amount = self.fields["amount"]
        amount.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if not amount.is_finite():
            raise forms.ValidationError(_("Enter a number."))
        return amount.quantize(Decimal("0.01"))

    # A form posted without these radios (an older page, a script) is a
    # one-off card gift, as the page preselects.
    def clean_frequency(self):
        return self.cleaned_data["frequency"] or "once"

    def clean_method(self):
        return self.cleaned_data["method"] or "card"

    def clean_iban(self):
        return re.sub(r"[\s\u00a0-]", "", self.cleaned_data["iban"]).upper()

    def mandate_text(self) -> str:
        return mandate_text()

    def _clean_payment(self, data):
        monthly = data.get("frequency") == "monthly"
        amount = data.get("amount")
        currency = data.get("currency") or self.campaign.currency
        # MONTHLY_GIFT_MINIMUM is in euros; other currencies keep their own
        # gift minimum (GIFT_CURRENCY_LIMITS).
        minimum = settings.MONTHLY_GIFT_MINIMUM
        if monthly and currency == "EUR" and amount is not None and amount < minimum:
            self.add_error(
                "amount",
                gettext("The minimum monthly gift is %(minimum)s.")
                % {"minimum": money_short(Money(minimum, currency))},
            )
        if data.get("method") != "sepa":
            return
        if currency != "EUR":
            self.add_error(
                "method", _("Direct debit is only possible for gifts in euros.")
            )
        iban = data.get("iban", "")
        if not iban:
            self.add_error("iban", _("Enter the IBAN of the account to debit."))
        else:
            error = iban_error(iban)
            if error:
                self.add_error("iban", error)
        if not data.get("mandate_accepted"):
            self.add_error(
                "mandate_accepted",
                _("A direct debit needs your agreement to the mandate."),
            )

    def mandate(self) -> dict | None:
        """What the donor accepted, for payments.Mandate (SEPA only)."""
        if self.cleaned_data["method"] != "sepa":
            return None
        iban = self.cleaned_data["iban"]
        return {
            "text": self.mandate_text(),
            "iban_country": iban[:2],
            "iban_last4": iban[-4:],
        }

    def clean_currency(self):
        # A form posted without it (an old page, a script) gives in the
        # campaign's currency, as before currencies were offered.
        return self.cleaned_data["currency"] or self.campaign.currency

    def _check_amount_for_currency(self, amount: Decimal, currency: str) -> None:
        """Bounds of the chosen currency; a rate must exist for a foreign one.

        A rate is asked for here, before anything is stored, so that a paid
        gift almost never waits for one (docs/currencies.md).
        """
        minimum, maximum = gift_limits(currency)
        # The limits are spelled as money in the page's language ("1 €"),
        # not as the raw Decimal a validator would print.
        if amount < minimum:
            self.add_error(
                "amount",
                gettext("The minimum gift is %(minimum)s.")
                % {"minimum": money_short(Money(minimum, currency))},
            )
        elif amount > maximum:
            self.add_error(
                "amount",
                gettext(
                    "Online gifts are limited to %(maximum)s; please contact the foundation."
                )
                % {"maximum": money_short(Money(maximum, currency))},
            )
        if currency != "EUR":
            try:
                rate_on(currency, timezone.localdate(), latest_known=True)
            except MissingRate:
                logger.error(
                    "no recent ECB rate for %s: donate form refused it", currency
                )
                self.add_error(
                    "currency",
                    gettext(
                        "Gifts in %(currency)s are not possible today; please "
                        "choose another currency."
                    )
                    % {"currency": currency},
                )

    def clean_siren(self):
        return re.sub(r"\s", "", self.cleaned_data["siren"])

    def clean(self):
        data = super().clean()
        if data.get("amount") is not None and data.get("currency"):
            self._check_amount_for_currency(data["amount"], data["currency"])
        kind = data.get("kind")
        if data.get("country") == "FR" and "postal_code" in data:
            if not FRENCH_POSTCODE.fullmatch(data["postal_code"].strip()):
                self.add_error(
                    "postal_code", _("A French postal code has five digits.")
                )
        if kind == Donor.Kind.INDIVIDUAL:
            for field in ("first_name", "last_name"):
                if field not in self.errors and not data.get(field, "").strip():
                    self.add_error(
                        field, _("This field is required for a tax receipt.")
                    )
        elif kind == Donor.Kind.COMPANY:
            for field in ("company_name", "legal_form"):
                if field not in self.errors and not data.get(field, "").strip():
                    self.add_error(
                        field, _("This field is required for a company receipt.")
                    )
            siren = data.get("siren", "")
            if not siren:
                self.add_error(
                    "siren", _("This field is required for a company receipt.")
                )
            elif not siren_is_valid(siren):
                self.add_error(
                    "siren", _("A SIREN is nine digits with a valid check digit.")
                )
        self._clean_payment(data)
        return data

    def donor_details(self, language: str) -> dict:
        data = self.cleaned_data
        company = data["kind"] == Donor.Kind.COMPANY
        return {
            "email": data["email"],
            "kind": data["kind"],
            "first_name": " ".join(data["first_name"].split()),
            "last_name": " ".join(data["last_name"].split()),
            "company_name": " ".join(data["company_name"].split()) if company else "",
            "legal_form": " ".join(data["legal_form"].split()) if company else "",
            "siren": data["siren"] if company else "",
            "address_line": " ".join(data["address_line"].split()),
            "postal_code": " ".join(data["postal_code"].split()),
            "city": " ".join(data["city"].split()),
            "country": data["country"],
            "language": language,
            "taxed_in_france": data["taxed_in_france"],
            "receipt_preference": data["receipt_preference"],
            # The exact words shown, kept as proof once the gift is paid.
            "newsletter": (
                {"wording": str(self.fields["newsletter"].label), "language": language}
                if data.get("newsletter")
                else None
            ),
        }
