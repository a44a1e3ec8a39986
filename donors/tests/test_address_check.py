"""The yearly address check: who is asked, once per donor and tax year."""

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from freezegun import freeze_time

from donors.address_check import (
    address_check_candidates,
    address_check_request,
    address_check_run,
    address_check_year,
)
from donors.models import AddressCheck
from donors.tasks import address_check_task
from payments.models import Gift

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


class BrokenBackend(BaseEmailBackend):
    """A mail server that refuses everything."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


@pytest.fixture
def gift_in(paid_gift):
    def make(donor, year, month=6, receipt_mode="per_gift"):
        gift = paid_gift(donor=donor, receipt_mode=receipt_mode)
        Gift.objects.filter(pk=gift.pk).update(
            paid_at=datetime(year, month, 5, 10, tzinfo=PARIS)
        )
        return gift

    return make


@pytest.fixture
def donors_2026(make_donor, gift_in):
    """Two donors who will get a 2026 summary, and three who will not."""
    annual = make_donor(email="annual@example.org", receipt_preference="annual")
    gift_in(annual, 2026, receipt_mode="annual")
    twice = make_donor(email="twice@example.org")
    gift_in(twice, 2026, 3)
    gift_in(twice, 2026, 9)
    once = make_donor(email="once@example.org")
    gift_in(once, 2026)
    last_year = make_donor(email="last.year@example.org")
    gift_in(last_year, 2025, receipt_mode="annual")
    gift_in(last_year, 2025)
    abroad = make_donor(email="abroad@example.org")
    gift_in(abroad, 2026, receipt_mode="none")
    gift_in(abroad, 2026, receipt_mode="none")
    return annual, twice


@pytest.mark.parametrize(
    ("today", "year"),
    [("2026-12-01", 2026), ("2027-01-02", 2026), ("2026-06-30", 2026)],
)
def test_the_tax_year_checked_is_last_year_only_in_january(today, year):
    with freeze_time(today):
        assert address_check_year() == year


def test_donors_with_an_annual_gift_or_several_gifts_are_asked(donors_2026):
    annual, twice = donors_2026

    assert list(address_check_candidates(2026)) == [annual, twice]


def test_each_donor_is_emailed_once_per_year_however_often_it_runs(donors_2026):
    # given the two donors of 2026

    # when the check runs twice
    first = address_check_run(2026)
    second = address_check_run(2026)

    # then each got one email, to their own address, and one row each
    assert first == {"sent": 2, "skipped": 0}
    assert second == {"sent": 0, "skipped": 2}
    assert sorted(message.to[0] for message in mail.outbox) == [
        "annual@example.org",
        "twice@example.org",
    ]
    assert AddressCheck.objects.filter(year=2026, emailed_at__isnull=False).count() == 2


def test_the_january_run_asks_only_december_newcomers(make_donor, gift_in, settings):
    # given a donor asked on 1 December
    early = make_donor(email="early@example.org")
    gift_in(early, 2026, 3)
    gift_in(early, 2026, 9)
    with freeze_time("2026-12-01 09:00"):
        address_check_task()

    # and one whose second gift came on 20 December
    late = make_donor(email="late@example.org")
    gift_in(late, 2026, 2)
    gift_in(late, 2026, 12)

    # when the beat runs on 2 January
    mail.outbox.clear()
    with freeze_time("2027-01-02 09:00"):
        result = address_check_task()

    # then only the newcomer is emailed, about 2026
    assert result == {"sent": 1, "skipped": 1}
    assert [message.to for message in mail.outbox] == [["late@example.org"]]
    assert "2026" in mail.outbox[0].subject


def test_a_new_tax_year_asks_again(donors_2026, gift_in):
    annual, _twice = donors_2026
    address_check_run(2026)
    gift_in(annual, 2027, receipt_mode="annual")
    mail.outbox.clear()

    address_check_run(2027)

    assert [message.to for message in mail.outbox] == [["annual@example.org"]]


def test_a_donor_who_already_answered_this_year_is_not_emailed(donors_2026):
    annual, _twice = donors_2026
    AddressCheck.objects.create(
        donor=annual, year=2026, confirmed_at=datetime(2026, 11, 2, tzinfo=PARIS)
    )

    assert address_check_request(annual.pk, 2026) is False
    assert mail.outbox == []


def test_the_email_is_in_the_donors_language_and_carries_no_address(
    make_donor, gift_in
):
    donor = make_donor(
        email="en@example.org", language="en", address_line="7 Secret Street"
    )
    gift_in(donor, 2026, receipt_mode="annual")

    address_check_request(donor.pk, 2026)

    message = mail.outbox[0]
    assert message.subject == "Is your address right for your 2026 tax receipt?"
    assert "before 15 January 2027" in message.body
    assert "/my/" in message.body
    assert "7 Secret Street" not in message.body


def test_a_failed_send_is_retried_by_the_next_run(donors_2026, settings, caplog):
    # given a mail server that is down
    settings.EMAIL_BACKEND = "donors.tests.test_address_check.BrokenBackend"

    # when the check runs
    result = address_check_run(2026)

    # then nobody is marked asked, and the log names donors by id only
    assert result == {"sent": 0, "skipped": 2}
    assert not AddressCheck.objects.filter(emailed_at__isnull=False).exists()
    assert "@" not in caplog.text

    # when the server is back and the check runs again, both are asked
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert address_check_run(2026) == {"sent": 2, "skipped": 0}


def test_the_command_emails_and_says_how_many(donors_2026, capsys):
    call_command("request_address_check", "--year", "2026")
    call_command("request_address_check", "--year", "2026")

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "2 address checks emailed for 2026 (0 donors already asked or answered)",
        "0 address checks emailed for 2026 (2 donors already asked or answered)",
    ]
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("20x6", "four-digit year"),
        ("١٩٩٩", "four-digit year"),
        ("2099", "has not started"),
    ],
)
def test_the_command_refuses_a_bad_year_and_sends_nothing(donors_2026, year, message):
    with pytest.raises(CommandError, match=message):
        call_command("request_address_check", "--year", year)

    assert mail.outbox == []
    assert not AddressCheck.objects.exists()


def test_an_unknown_flag_is_one_line_with_exit_code_2():
    result = subprocess.run(
        [sys.executable, "manage.py", "request_address_check", "--yaer", "2026"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("CommandError: ")
