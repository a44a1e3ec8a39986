from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from campaigns.forms import AmountField
from campaigns.templatetags.money import money_short
from payments.currency import gift_limits


class MonthlyAmountForm(forms.Form):
    """A new amount for a monthly gift, from the next payment on."""

    amount = AmountField(
        label=_("New monthly amount"), max_digits=12, decimal_places=2, localize=False
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["amount"].widget.attrs.update(
            {"inputmode": "decimal", "autocomplete": "off"}
        )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if not amount.is_finite():
            raise forms.ValidationError(_("Enter a number."))
        amount = amount.quantize(Decimal("0.01"))
        # The donate page's bounds for this currency; in euros, the monthly
        # minimum too (MONTHLY_GIFT_MINIMUM is a euro figure).
        minimum, maximum = gift_limits(self.currency)
        if self.currency == "EUR":
            minimum = max(minimum, settings.MONTHLY_GIFT_MINIMUM)
        if amount < minimum:
            raise forms.ValidationError(
                gettext("The minimum monthly gift is %(minimum)s.")
                % {"minimum": money_short(Money(minimum, self.currency))}
            )
        if amount > maximum:
            raise forms.ValidationError(
                gettext(
                    "Online gifts are limited to %(maximum)s; please contact the foundation."
                )
                % {"maximum": money_short(Money(maximum, self.currency))}
            )
        return Money(amount, self.currency)
