"""Emails to donors: written in the donor's language, from one template pair."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation


def donor_email(name: str, donor, context: dict) -> EmailMessage:
    """The email ``receipts/email/<name>_{subject,body}.txt`` for ``donor``.

    Rendered in the donor's language (French when it is not one we write),
    with the foundation's name, the site's address and the links to the
    donor's monthly gifts in the context.
    """
    from payments.recurring import live_plans_with_links

    language = donor.language if donor.language in ("fr", "en") else "fr"
    context = {
        # Every email to a donor with a monthly gift carries its signed link.
        "monthly_plans": live_plans_with_links(donor),
        "donor": donor,
        "foundation_name": settings.FOUNDATION["name"],
        "site_url": settings.SITE_URL,
        **context,
    }
    with translation.override(language):
        subject = render_to_string(f"receipts/email/{name}_subject.txt", context)
        body = render_to_string(f"receipts/email/{name}_body.txt", context)
    return EmailMessage(subject=" ".join(subject.split()), body=body, to=[donor.email])
