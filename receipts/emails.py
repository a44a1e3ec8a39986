"""Emails from the foundation: written in the reader's language, from one
template pair."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation


def foundation_email(
    template: str, *, to: str, language: str, context: dict
) -> EmailMessage:
    """The email ``<template>_{subject,body}.txt`` to ``to``.

    Rendered in ``language`` (French when it is not one we write), with the
    foundation's name and the site's address in the context.
    """
    language = language if language in ("fr", "en") else "fr"
    context = {
        "foundation_name": settings.FOUNDATION["name"],
        "site_url": settings.SITE_URL,
        **context,
    }
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context)
        body = render_to_string(f"{template}_body.txt", context)
    return EmailMessage(subject=" ".join(subject.split()), body=body, to=[to])


def donor_email(name: str, donor, context: dict) -> EmailMessage:
    """The email ``receipts/email/<name>_{subject,body}.txt`` for ``donor``,
    in the donor's language. Every email to a donor with a monthly gift
    carries the signed links to change, pause or stop it."""
    from payments.recurring_links import live_plans_with_links

    return foundation_email(
        f"receipts/email/{name}",
        to=donor.email,
        language=donor.language,
        context={
            "donor": donor,
            "monthly_plans": live_plans_with_links(donor),
            **context,
        },
    )
