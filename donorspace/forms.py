from django import forms
from django.utils.translation import gettext_lazy as _


class SignInRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("The address you gave with your gifts."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
