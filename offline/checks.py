"""What stops a batch from being posted, in words staff can act on.

The admin's forms and the posting service ask the same questions, so a line
typed outside the admin (a shell, a future import) is held to the same rules.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.forms import FRENCH_POSTCODE
from donors.services import IDENTITY_FIELDS, donor_identity_differs
from donors.validators import siren_is_valid
from payments.services import received_on_problem


def line_problems(line) -> list[str]:
    """Everything wrong with one line on its own, empty when it can be posted."""
    problems = []
    amount = getattr(line, "amount", None)
    if amount is None or amount.amount is None or amount.amount <= 0:
        problems.append(_("The amount must be more than zero."))
    elif line.batch_id and str(amount.currency) != line.batch.campaign.currency:
        problems.append(
            _("The amount is in %(currency)s but the campaign takes %(expected)s.")
            % {"currency": amount.currency, "expected": line.batch.campaign.currency}
        )

    if line.received_on is None:
        problems.append(_("The date the gift was received is missing."))
    elif line.batch_id:
        problem = received_on_problem(line.received_on, line.batch.campaign)
        if problem:
            problems.append(problem)
    elif line.received_on > timezone.localdate():
        problems.append(_("The date the gift was received is in the future."))
    if line.method == "cheque":
        if line.cheque_date is None:
            problems.append(_("A cheque needs the date written on it."))
        if not line.cheque_number.strip():
            problems.append(_("A cheque needs its number."))
    elif line.method == "transfer" and not line.transfer_reference.strip():
        problems.append(_("A transfer needs the reference on the bank statement."))

    problems += _donor_problems(line)
    if line.beneficiary_id and line.batch_id:
        if line.beneficiary.campaign_id != line.batch.campaign_id:
            problems.append(_("The beneficiary belongs to another campaign."))
    return problems


def _donor_problems(line) -> list[str]:
    """What a receipt needs from the donor, and a consistent donor choice."""
    problems = []
    if line.kind == "individual":
        if not (line.first_name.strip() and line.last_name.strip()):
            problems.append(_("An individual needs a first and a last name."))
    elif line.kind == "company":
        if not (line.company_name.strip() and line.legal_form.strip()):
            problems.append(_("A company needs its legal name and legal form."))
        if not siren_is_valid(line.siren):
            problems.append(_("The company's SIREN is missing or wrong."))
    else:
        problems.append(_("Say whether the donor is an individual or a company."))
    if not (line.address_line.strip() and line.postal_code.strip()):
        problems.append(_("The receipt needs the donor's full postal address."))
    elif line.country == "FR" and not FRENCH_POSTCODE.fullmatch(
        line.postal_code.strip()
    ):
        problems.append(_("A French postal code has five digits."))

    if line.donor_choice == "existing":
        if line.donor_id is None:
            problems.append(_("Choose the existing donor, or choose a new donor."))
        elif line.email and line.email.strip().lower() != line.donor.email.lower():
            problems.append(
                _("The email typed is not the chosen donor's; clear it or fix it.")
            )
        elif not line.email.strip() and donor_identity_differs(
            line.donor, {field: getattr(line, field) for field in IDENTITY_FIELDS}
        ):
            # Without the email, the name must say it is the same person:
            # posting would otherwise rewrite someone else's name and address.
            problems.append(
                _(
                    "The chosen donor has another name: check the choice, "
                    "or choose a new donor."
                )
            )
    elif line.donor_choice == "new" and not line.email.strip():
        problems.append(_("A new donor needs an email address."))
    return problems
