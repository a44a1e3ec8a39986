"""The donor space: ask for a link, sign in with it, see gifts and receipts.

A donor is not a Django user. Signing in stores the donor's id and a
deadline in the session, under a new session key; every other page reads
them back through ``donor_required``.
"""

import logging
import time
from datetime import UTC, datetime
from functools import partial, wraps

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from donors import address_check
from donors.countries import country_name
from donors.models import ConsentRecord, Donor
from donors.services import (
    ADDRESS_FIELDS,
    consent_given,
    donor_preferences_update,
)
from payments.recurring_links import live_plans_with_links
from payments.throttle import client_ip

from . import services
from .forms import AddressForm, PreferencesForm, SignInRequestForm

logger = logging.getLogger(__name__)

SESSION_KEY = "donorspace_donor"


class ThenResponse(HttpResponse):
    """A page that runs ``then`` once the server has sent it.

    A link request must take as long for an unknown address as for a known
    one, and mailing the link is the slow part. WSGI servers (and Django's
    test client) call ``close()`` after the last byte is written, so work
    done there cannot show in the answer's timing.
    """

    def __init__(self, content, *, then, **kwargs):
        super().__init__(content, **kwargs)
        self._then = then

    def close(self):
        then, self._then = self._then, None
        try:
            if then is not None:
                then()
        finally:
            # Last: it fires request_finished, which closes the database
            # connection ``then`` may still need.
            super().close()


@sensitive_variables("email")
def _send_link(*, email: str, ip: str) -> None:
    try:
        services.signin_link_send(email=email, ip=ip)
    except Exception as exc:
        # The class name only: an SMTP error's text can quote the address.
        logger.error("donorspace: sign-in link not sent (%s)", type(exc).__name__)


def _signed_in_donor(request) -> Donor | None:
    signed_in = request.session.get(SESSION_KEY)
    if not isinstance(signed_in, dict):
        return None
    if signed_in.get("until", 0) <= time.time():
        request.session.pop(SESSION_KEY, None)
        return None
    return Donor.objects.filter(pk=signed_in.get("id")).first()


def _sign_in(request, donor: Donor) -> None:
    # A new session key: whoever planted or saw the old one (a shared
    # computer, a fixation attack) does not ride along into the space.
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "id": donor.pk,
        # Absolute: set_expiry alone would slide with each saved change.
        "until": int(time.time()) + services.SESSION_SECONDS,
    }
    request.session.set_expiry(services.SESSION_SECONDS)


def donor_required(view):
    """Pass the signed-in donor to ``view``; send anyone else to /my/."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        donor = _signed_in_donor(request)
        if donor is None:
            return redirect("donorspace:request")
        return view(request, donor, *args, **kwargs)

    # Private pages: no shared cache or back button may keep them.
    return never_cache(wrapper)


# Error reports mail the POST data and local variables to staff: not the
# address, which is personal data and says who gives to the foundation.
@sensitive_post_parameters("email")
@sensitive_variables("email", "page")
@never_cache
@require_http_methods(["GET", "POST"])
def signin_request(request):
    if request.method == "GET":
        if _signed_in_donor(request) is not None:
            return redirect("donorspace:gifts")
        form = SignInRequestForm()
        return render(request, "donorspace/request.html", {"form": form})

    form = SignInRequestForm(request.POST)
    if not form.is_valid():
        return render(request, "donorspace/request.html", {"form": form}, status=400)

    # One answer for every address, known or not, limited or not: the page
    # must not tell anyone who gives to the foundation.
    email = form.cleaned_data["email"]
    page = render_to_string(
        "donorspace/request_sent.html",
        {"email": email, "minutes": services.LINK_MINUTES},
        request=request,
    )
    ip = client_ip(request)
    if not services.signin_request_allowed(ip=ip, email=email):
        return HttpResponse(page)
    return ThenResponse(page, then=partial(_send_link, email=email, ip=ip))


@never_cache
@require_http_methods(["GET", "POST"])
def signin(request, token):
    """GET asks to confirm, POST signs in.

    Mail filters open links to scan them; if GET spent the token, the donor
    would find it used before they ever clicked.
    """
    try:
        if request.method == "GET":
            services.signin_link_check(token)
            # The site's same-origin Referrer-Policy keeps the token in this
            # address from other sites. Not no-referrer: browsers then send
            # "Origin: null" with the form, and CSRF checks refuse it.
            return render(request, "donorspace/signin_confirm.html")
        donor = services.signin_link_use(token)
    except services.LinkRefused as refused:
        if isinstance(refused, services.LinkUsed) and _signed_in_donor(request):
            # A second press of the button, or the email opened again while
            # signed in: the link has done its work.
            return redirect("donorspace:gifts")
        logger.warning("donorspace: sign-in link refused (%s)", type(refused).__name__)
        return render(
            request,
            "donorspace/signin_refused.html",
            {"reason": type(refused).__name__},
            status=refused.status,
        )
    _sign_in(request, donor)
    return redirect("donorspace:gifts")


@require_POST
def signout(request):
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    messages.info(request, _("You are signed out."))
    return redirect("donorspace:request")


@require_safe
@donor_required
def gifts(request, donor):
    return render(
        request,
        "donorspace/gifts.html",
        {
            "donor": donor,
            "gifts": services.donor_gifts(donor),
            "receipts": services.donor_receipts(donor),
            "monthly_plans": live_plans_with_links(donor),
            "erasure_request": services.erasure_request_open(donor),
            "address_check": address_check.address_check_open(donor),
            "signed_in_until": datetime.fromtimestamp(
                request.session[SESSION_KEY]["until"], tz=UTC
            ),
        },
    )


@require_safe
@donor_required
def receipt_pdf(request, donor, number):
    # Another donor's number gets the same 404 as a number that does not
    # exist: the answer says nothing about receipts that are not yours.
    receipt = services.donor_receipt_for_download(donor, number)
    if receipt is None:
        raise Http404
    try:
        handle = receipt.pdf.open("rb")
    except OSError:
        logger.error(
            "donorspace: PDF of receipt %s is missing",
            receipt.pk,
            extra={"receipt_id": receipt.pk},
        )
        raise Http404 from None
    services.receipt_record_download(receipt)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"recu-fiscal-{receipt.number}.pdf",
        content_type="application/pdf",
    )


@require_safe
@donor_required
def export(request, donor):
    response = JsonResponse(
        services.donor_export(donor),
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    filename = f"donor-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    logger.info(
        "donorspace: donor %s exported their data",
        donor.pk,
        extra={"donor_id": donor.pk},
    )
    return response


@require_POST
@donor_required
def erasure(request, donor):
    # The section this lands on says the request is recorded, and stays
    # saying so on every visit until finance has handled it.
    services.erasure_request_record(donor)
    return redirect(reverse("donorspace:gifts") + "#your-data")


@require_http_methods(["GET", "POST"])
@donor_required
def preferences(request, donor):
    newsletter = ConsentRecord.Topic.NEWSLETTER
    if request.method == "GET":
        form = PreferencesForm(
            initial={
                "newsletter": consent_given(donor, newsletter),
                "language": donor.language if donor.language == "en" else "fr",
                "receipt_preference": donor.receipt_preference,
            }
        )
        return render(request, "donorspace/preferences.html", {"form": form})

    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return render(
            request, "donorspace/preferences.html", {"form": form}, status=400
        )
    donor_preferences_update(
        donor,
        language=form.cleaned_data["language"],
        receipt_preference=form.cleaned_data["receipt_preference"],
        newsletter=form.cleaned_data["newsletter"],
        # The words this page showed, in the language it showed them.
        newsletter_wording=str(form.fields["newsletter"].label),
        wording_language=translation.get_language()[:2],
    )
    messages.success(request, _("Your preferences are saved."))
    return redirect("donorspace:preferences")


# Error reports must not mail a donor's address to staff.
@sensitive_post_parameters("address_line", "postal_code", "city")
@require_http_methods(["GET", "POST"])
@donor_required
def address(request, donor):
    form = AddressForm(
        initial={field: getattr(donor, field) for field in ADDRESS_FIELDS}
    )
    if request.method == "POST":
        if request.POST.get("action") == "confirm":
            address_check.address_confirm(donor)
            messages.success(request, _("Thank you: your address is confirmed."))
            return redirect("donorspace:address")
        form = AddressForm(request.POST)
        if form.is_valid():
            address_check.address_correct(donor, form.cleaned_data)
            messages.success(
                request,
                _("Your address is saved. Receipts issued from now on will print it."),
            )
            return redirect("donorspace:address")
    return render(
        request,
        "donorspace/address.html",
        {
            "donor": donor,
            "form": form,
            # As receipts print it: in French.
            "country": country_name(donor.country),
            "year": address_check.address_check_year(),
            "check": donor.address_checks.filter(
                year=address_check.address_check_year()
            ).first(),
        },
        status=400 if form.is_bound else 200,
    )
