import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from campaigns.templatetags.money import money_short
from donors.countries import COUNTRIES
from donors.models import Donor
from donors.validators import siren_is_valid
from payments.currency import minimum_charge
from wall.forms import WallFieldsForm

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

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["beneficiary"].queryset = campaign.beneficiaries.filter(
            public_consent=True
        )
        if not self.fields["beneficiary"].queryset.exists():
            del self.fields["beneficiary"]
        minimum = max(settings.GIFT_MINIMUM_EUR, minimum_charge(campaign.currency))
        amount = self.fields["amount"]
        # The limits are spelled as money in the page's language ("1 €"), not
        # as the raw Decimal the validators would print.
        currency = campaign.currency
        amount.validators += [
            MinValueValidator(
                minimum,
                message=gettext("The minimum gift is %(minimum)s.")
                % {"minimum": money_short(Money(minimum, currency))},
            ),
            MaxValueValidator(
                settings.GIFT_MAXIMUM_EUR,
                message=gettext(
                    "Online gifts are limited to %(maximum)s; please contact the foundation."
                )
                % {"maximum": money_short(Money(settings.GIFT_MAXIMUM_EUR, currency))},
            ),
        ]
        amount.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if not amount.is_finite():
            raise forms.ValidationError(_("Enter a number."))
        return amount.quantize(Decimal("0.01"))

    def clean_siren(self):
        return re.sub(r"\s", "", self.cleaned_data["siren"])

    def clean(self):
        data = super().clean()
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
        return data

    def donor_details(self, language: str) -> dict:
        data = self.cleaned_data
        company = data["kind"] == Donor.Kind.COMPANY
        return {
            "email": data["email"],
            "kind": data["kind"],
            "first_name": data["first_name"].strip(),
            "last_name": data["last_name"].strip(),
            "company_name": data["company_name"].strip() if company else "",
            "legal_form": data["legal_form"].strip() if company else "",
            "siren": data["siren"] if company else "",
            "address_line": data["address_line"].strip(),
            "postal_code": data["postal_code"].strip(),
            "city": data["city"].strip(),
            "country": data["country"],
            "language": language,
            "taxed_in_france": data["taxed_in_france"],
            "receipt_preference": data["receipt_preference"],
        }
