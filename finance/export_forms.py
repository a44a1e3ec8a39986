"""The filters of an export, checked once for the page, the jobs and the command.

Anything not understood is refused rather than ignored: an export silently
wider than asked (a typo in ``campain=``) would look right and be wrong.
"""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from finance.export_datasets import Dataset, ExportFilters, all_datasets, get_dataset
from finance.export_writers import FORMATS
from payments.models import Gift

FIRST_YEAR, LAST_YEAR = 2000, 2100
# Sent by the page's form (its token and the button pressed); never filters.
IGNORED_KEYS = frozenset({"csrfmiddlewaretoken", "action"})


class ExportForm(forms.Form):
    dataset = forms.ChoiceField(label=_("Export"))
    year = forms.IntegerField(
        label=_("Year"),
        help_text=_("Calendar year in Paris time; for receipts, their series year."),
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
    )
    campaign = forms.SlugField(label=_("Campaign"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    method = forms.ChoiceField(
        label=_("Payment method"),
        required=False,
        choices=[("", _("All methods")), *Gift.Method.choices],
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[(value, value.upper()) for value in FORMATS],
        initial="csv",
        required=False,
    )
    separator = forms.ChoiceField(
        label=_("CSV separator"),
        choices=[
            (";", _("Semicolon (French Excel)")),
            (",", _("Comma")),
        ],
        initial=";",
        required=False,
    )

    def __init__(self, data=None, **kwargs):
        self.unknown, self.repeated = [], []
        if data is not None:
            self.unknown = sorted(
                key for key in data if key not in {*self.base_fields, *IGNORED_KEYS}
            )
            # One value per filter: "year=2025&year=2026" is a mistake.
            self.repeated = sorted(
                key
                for key in data
                if hasattr(data, "getlist") and len(data.getlist(key)) > 1
            )
        super().__init__(data, **kwargs)
        self.fields["dataset"].choices = [
            (dataset.name, dataset.label) for dataset in all_datasets()
        ]
        self.fields["status"].choices = [("", _("All statuses"))] + sorted(
            {
                value: (value, label)
                for d in all_datasets()
                for value, label in d.statuses
            }.values()
        )
        campaigns = Campaign.objects.order_by("-starts_on", "slug")
        self.fields["campaign"].widget = forms.Select(
            choices=[("", _("All campaigns"))]
            + [(c.slug, f"{c.title} ({c.slug})") for c in campaigns]
        )

    def clean(self):
        cleaned = super().clean()
        if self.unknown:
            raise forms.ValidationError(
                gettext("Unknown filter: %(names)s.")
                % {"names": ", ".join(self.unknown)},
                code="unknown",
            )
        if self.repeated:
            raise forms.ValidationError(
                gettext("Give each filter once: %(names)s.")
                % {"names": ", ".join(self.repeated)},
                code="repeated",
            )
        dataset = get_dataset(cleaned.get("dataset") or "")
        if dataset is None:
            return cleaned
        status = cleaned.get("status")
        if status and status not in dict(dataset.statuses):
            self.add_error("status", _status_error(dataset, status))
        if cleaned.get("method") and not dataset.has_method:
            self.add_error(
                "method", gettext("This export cannot be filtered by payment method.")
            )
        slug = cleaned.get("campaign")
        if slug and not Campaign.objects.filter(slug=slug).exists():
            self.add_error(
                "campaign", gettext("No campaign %(slug)s.") % {"slug": slug}
            )
        cleaned["format"] = cleaned.get("format") or "csv"
        cleaned["separator"] = cleaned.get("separator") or ";"
        return cleaned

    @property
    def chosen_dataset(self) -> Dataset:
        return get_dataset(self.cleaned_data["dataset"])

    @property
    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        return ExportFilters(
            year=data["year"],
            campaign=data.get("campaign") or None,
            status=data.get("status") or None,
            method=data.get("method") or None,
        )

    def error_line(self) -> str:
        """Every error on one line, for the command and plain-text answers."""
        parts = []
        for name, errors in self.errors.items():
            prefix = "" if name == "__all__" else f"{name}: "
            parts.extend(prefix + str(error) for error in errors)
        return " ".join(parts)


def _status_error(dataset: Dataset, status: str) -> str:
    if not dataset.statuses:
        return gettext("This export cannot be filtered by status.")
    return gettext("%(status)s is not a status of this export; choose %(choices)s.") % {
        "status": status,
        "choices": ", ".join(value for value, _label in dataset.statuses),
    }
