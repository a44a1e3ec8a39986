"""The donate form's optional part: a public message and a dedication."""

import re

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wall.models import (
    CARD_MESSAGE_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Dedication,
)

# A wall message is read by everyone: links would turn it into an advert.
LINK = re.compile(r"https?://|www\.|<\s*a\b", re.IGNORECASE)
CARD_FIELDS = ("card_recipient_name", "card_recipient_email", "card_message")


def one_line(text: str) -> str:
    """Whitespace (line breaks, tabs, runs of spaces) folded into single spaces."""
    return " ".join(text.split())


class WallFieldsForm(forms.Form):
    """Fields mixed into the donate form; all optional.

    ``wall_details()`` gives what ``wall.services.wall_record_for_gift``
    stores with the gift.
    """

    wall_message = forms.CharField(
        label=_("A message for the donor wall (optional)"),
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    dedication_kind = forms.ChoiceField(
        label=_("Dedicate this gift"),
        choices=[("", _("No dedication")), *Dedication.Kind.choices],
        required=False,
    )
    dedication_name = forms.CharField(
        label=_("Name of the person"),
        max_length=NAME_MAX_LENGTH,
        required=False,
    )
    card_recipient_name = forms.CharField(
        label=_("Send a card to (name)"),
        max_length=NAME_MAX_LENGTH,
        required=False,
    )
    card_recipient_email = forms.EmailField(
        label=_("Their email"),
        help_text=_(
            "The foundation emails them a card once the gift is paid. The amount "
            "is never mentioned."
        ),
        required=False,
    )
    card_message = forms.CharField(
        label=_("Your words on the card (optional)"),
        max_length=CARD_MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Interpolated per form, in the language of the request.
        self.fields["wall_message"].help_text = gettext(
            "Up to %(limit)s characters, plain text without links. It is shown "
            "once the foundation has read it."
        ) % {"limit": MESSAGE_MAX_LENGTH}

    def clean_wall_message(self):
        text = one_line(self.cleaned_data["wall_message"])
        if LINK.search(text):
            raise forms.ValidationError(
                _("Links are not allowed in the wall message."), code="link"
            )
        return text

    def clean_dedication_name(self):
        return one_line(self.cleaned_data["dedication_name"])

    def clean_card_recipient_name(self):
        return one_line(self.cleaned_data["card_recipient_name"])

    def clean_card_message(self):
        text = self.cleaned_data["card_message"].strip()
        # The foundation sends these words to a stranger: no links in them.
        if LINK.search(text):
            raise forms.ValidationError(
                _("Links are not allowed in the card's message."), code="link"
            )
        return text

    def clean(self):
        data = super().clean()
        kind = data.get("dedication_kind")
        if kind and "dedication_name" not in self.errors:
            if not data.get("dedication_name"):
                self.add_error(
                    "dedication_name",
                    _("Give the name of the person this gift honours."),
                )
        elif not kind and data.get("dedication_name"):
            self.add_error(
                "dedication_kind", _("Choose “in honour of” or “in memory of”.")
            )
        card_given = any(data.get(name) for name in CARD_FIELDS)
        if card_given and not kind and "dedication_kind" not in self.errors:
            self.add_error(
                "dedication_kind",
                _("A card goes with a dedication: choose one and give a name."),
            )
        if (
            card_given
            and not data.get("card_recipient_email")
            and "card_recipient_email" not in self.errors
        ):
            self.add_error(
                "card_recipient_email", _("Give the email the card is sent to.")
            )
        return data

    def wall_details(self) -> dict:
        data = self.cleaned_data
        details = {"message": data["wall_message"], "dedication": None}
        if data["dedication_kind"]:
            details["dedication"] = {
                "kind": data["dedication_kind"],
                "honoree_name": data["dedication_name"],
                "recipient_name": data["card_recipient_name"],
                "recipient_email": data["card_recipient_email"],
                "card_message": data["card_message"],
            }
        return details
