"""Countries donors can choose, and their names as receipts print them."""

from django.utils import translation
from django.utils.translation import gettext_lazy as _

COUNTRIES = [
    ("FR", _("France")),
    ("BE", _("Belgium")),
    ("CH", _("Switzerland")),
    ("CZ", _("Czech Republic")),
    ("DE", _("Germany")),
    ("DK", _("Denmark")),
    ("ES", _("Spain")),
    ("IT", _("Italy")),
    ("LU", _("Luxembourg")),
    ("PL", _("Poland")),
    ("GB", _("United Kingdom")),
    ("US", _("United States")),
]
_NAMES = dict(COUNTRIES)


def country_name(code: str, language: str = "fr") -> str:
    """The country's name in ``language`` (French on receipts); the code if unknown."""
    name = _NAMES.get(code)
    if name is None:
        return code
    with translation.override(language):
        return str(name)
