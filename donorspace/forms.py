from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.forms import FRENCH_POSTCODE
from donors.countries import COUNTRIES
from donors.models import Donor


class SignInRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("The address you gave with your gifts."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


LANGUAGES = [("fr", "Français"), ("en", "English")]


class PreferencesForm(forms.Form):
    newsletter = forms.BooleanField(
        label=_("Send me the foundation's newsletter by email."), required=False
    )
    language = forms.ChoiceField(
        label=_("Language of our emails"),
        choices=LANGUAGES,
        widget=forms.RadioSelect,
    )
    receipt_preference = forms.ChoiceField(
        label=_("Tax receipts for your next gifts"),
        choices=Donor._meta.get_field("receipt_preference").choices,
        widget=forms.RadioSelect,
    )


class AddressForm(forms.Form):
    """The postal address printed on receipts, checked as the donate form does."""

    address_line = forms.CharField(label=_("Address"), max_length=250)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=120)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES)

    def clean(self):
        # CharField strips spaces, so a blank line is already "required".
        data = super().clean()
        if data.get("country") == "FR" and data.get("postal_code"):
            if not FRENCH_POSTCODE.fullmatch(data["postal_code"]):
                self.add_error(
                    "postal_code", _("A French postal code has five digits.")
                )
        return data
