"""Signing in to the donor space with an emailed link, and no password."""

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from donorspace import services
from donorspace.models import SignInLink

pytestmark = pytest.mark.django_db


def english_client() -> Client:
    # English pages, so that assertions on words hold once French is written.
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def client():
    return english_client()


REQUEST_URL = reverse("donorspace:request")
GIFTS_URL = reverse("donorspace:gifts")


def ask_for_link(client, email, **extra):
    return client.post(REQUEST_URL, {"email": email}, **extra)


def emailed_link(message) -> str:
    return re.search(r"http\S+/my/signin/\S+/", message.body).group(0)


def page(response) -> str:
    """The page's text without its CSRF token, which changes every time."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.text)


def signin_path(token: str) -> str:
    return reverse("donorspace:signin", args=[token])


@pytest.fixture
def donor(make_donor):
    return make_donor(email="anne.martin@example.org", language="en")


@pytest.fixture
def token(donor):
    return services.signin_link_create(donor, ip="203.0.113.5")


def test_known_and_unknown_addresses_get_the_same_answer(client, donor):
    # given a donor, and an address nobody gave with
    known, unknown = donor.email, "nobody.here@example.org"

    # when both ask for a link
    answer_known = ask_for_link(client, known)
    answer_unknown = ask_for_link(client, unknown)

    # then the pages differ only by the address typed back, and only the
    # donor is mailed
    assert answer_known.status_code == answer_unknown.status_code == 200
    assert page(answer_known).replace(known, "ADDRESS") == (
        page(answer_unknown).replace(unknown, "ADDRESS")
    )
    assert [message.to for message in mail.outbox] == [[known]]
    assert SignInLink.objects.count() == 1


def test_a_link_is_emailed_once_to_the_donor_in_their_language(client, donor):
    # given a donor who gave in English

    # when they ask for a link, typing their address in another case
    ask_for_link(client, "Anne.MARTIN@example.org")

    # then one email reaches their stored address, in English, with the link
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [donor.email]
    assert message.subject == (
        "Your sign-in link — Fondation de l'Université de Paris (démo)"
    )
    assert "within 30 minutes" in message.body
    link = SignInLink.objects.get()
    token = emailed_link(message).rstrip("/").rsplit("/", 1)[-1]
    assert link.donor == donor
    assert link.token_hash == services.token_hash(token)


def test_only_a_hash_of_the_token_is_stored(donor):
    # given nothing yet

    # when a link is made
    with freeze_time("2026-03-02 12:00:00"):
        token = services.signin_link_create(donor, ip="203.0.113.5")

    # then the token itself is nowhere in its row, nor the client's address
    link = SignInLink.objects.get()
    stored = " ".join(str(value) for value in vars(link).values())
    assert token not in stored
    assert "203.0.113.5" not in stored
    assert link.expires_at == datetime(2026, 3, 2, 12, 30, tzinfo=UTC)


def test_opening_the_link_asks_to_confirm_and_spends_nothing(client, token):
    # given a fresh link, as a mail filter would fetch it

    # when it is opened
    response = client.get(signin_path(token))

    # then a page asks to press a button, and the link is still unused
    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert SignInLink.objects.get().used_at is None
    assert client.get(GIFTS_URL).status_code == 302


def test_confirming_the_link_signs_in_and_marks_it_used(client, donor, token):
    # given a fresh link

    # when the donor presses the button
    response = client.post(signin_path(token))

    # then they land on their gifts, signed in, and the link is spent
    assert response.status_code == 302
    assert response["Location"] == GIFTS_URL
    assert client.get(GIFTS_URL).status_code == 200
    assert client.session["donorspace_donor"]["id"] == donor.pk
    assert SignInLink.objects.get().used_at is not None


def test_a_used_link_is_refused_and_changes_nothing(client, token):
    # given a link already used once
    client.post(signin_path(token))
    used_at = SignInLink.objects.get().used_at
    other = english_client()

    # when someone opens or posts it again
    opened = other.get(signin_path(token))
    posted = other.post(signin_path(token))

    # then both are told to ask again, and nobody is signed in
    assert opened.status_code == posted.status_code == 410
    assert b"already been used" in posted.content
    assert reverse("donorspace:request").encode() in posted.content
    assert SignInLink.objects.get().used_at == used_at
    assert other.get(GIFTS_URL).status_code == 302


def test_the_button_works_in_a_browser_that_sends_its_origin(token):
    # given a browser that enforces CSRF and sends Origin with its forms, as
    # it does under the page's referrer policy
    browser = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    confirm = browser.get(signin_path(token))
    assert confirm["Referrer-Policy"] == "same-origin"
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', confirm.text)

    # when the button is pressed
    response = browser.post(
        signin_path(token),
        {"csrfmiddlewaretoken": csrf.group(1)},
        headers={"origin": "http://testserver"},
    )

    # then the donor is signed in
    assert response.status_code == 302
    assert response["Location"] == GIFTS_URL
    assert SignInLink.objects.get().used_at is not None


def test_pressing_the_button_twice_keeps_the_donor_signed_in(client, token):
    # given a donor who just signed in with a link
    client.post(signin_path(token))

    # when the button is pressed again (a double click, a reload)
    response = client.post(signin_path(token))

    # then they stay on their gifts rather than on an error
    assert response.status_code == 302
    assert response["Location"] == GIFTS_URL
    assert client.get(GIFTS_URL).status_code == 200


def test_an_expired_link_is_refused(client, token):
    # given a link made 31 minutes ago
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    # when the donor presses the button
    response = client.post(signin_path(token))

    # then it is refused as expired, stays unused and signs nobody in
    assert response.status_code == 410
    assert b"expired" in response.content
    assert SignInLink.objects.get().used_at is None
    assert client.get(GIFTS_URL).status_code == 302


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
                     id="one-character-changed"),
        pytest.param(lambda token: token[:-3], id="cut-short"),
        pytest.param(lambda token: "x" * 43, id="forged"),
        pytest.param(lambda token: services.token_hash(token), id="the-stored-hash"),
    ],
)  # fmt: skip
def test_a_forged_or_tampered_token_is_refused(client, token, alter):
    # given a real link, altered on its way

    # when the altered link is opened and posted
    opened = client.get(signin_path(alter(token)))
    posted = client.post(signin_path(alter(token)))

    # then both are refused as invalid, and the real link is untouched
    assert opened.status_code == posted.status_code == 400
    assert b"not valid" in posted.content
    assert SignInLink.objects.get().used_at is None
    assert client.get(GIFTS_URL).status_code == 302


def test_the_rate_limit_per_email_stops_emails_but_keeps_the_answer(client, donor):
    # given a donor who already asked five times in a quarter of an hour
    first = [ask_for_link(client, donor.email) for _attempt in range(5)]

    # when they ask a sixth time
    sixth = ask_for_link(client, donor.email)

    # then the answer is the same page, but no sixth email leaves
    assert sixth.status_code == 200
    assert page(sixth) == page(first[-1])
    assert len(mail.outbox) == 5
    assert SignInLink.objects.count() == 5


def test_the_rate_limit_per_address_stops_emails_from_one_client(
    client, make_donor, caplog
):
    # given 21 donors, and one client asking for each of them in turn
    emails = [f"donor{n}@example.org" for n in range(21)]
    for email in emails:
        make_donor(email=email)

    # when the client asks for all 21
    with caplog.at_level(logging.WARNING, logger="donorspace"):
        answers = [ask_for_link(client, email) for email in emails]

    # then the 21st gets the same answer, no email, and a warning
    assert {answer.status_code for answer in answers} == {200}
    assert len(mail.outbox) == 20
    assert "donor20@example.org" not in {m.to[0] for m in mail.outbox}
    assert "refused by rate limit" in caplog.text


def test_the_limit_per_address_follows_the_client_not_the_donor(
    client, donor, settings
):
    # given one address that asked 20 times for other people
    for n in range(20):
        ask_for_link(client, f"someone{n}@example.org", REMOTE_ADDR="198.51.100.7")

    # when the donor asks from another address
    ask_for_link(client, donor.email, REMOTE_ADDR="203.0.113.5")

    # then their link is sent
    assert [message.to for message in mail.outbox] == [[donor.email]]


def test_logs_never_carry_the_email(client, donor, caplog):
    # given a donor and an unknown address

    # when both ask for links, past the limit
    with caplog.at_level(logging.DEBUG):
        for _attempt in range(6):
            ask_for_link(client, donor.email)
            ask_for_link(client, "nobody.here@example.org")

    # then no log line holds either address, nor its local part
    assert "refused by rate limit" in caplog.text
    assert "anne.martin" not in caplog.text.lower()
    assert "nobody.here" not in caplog.text


def test_a_malformed_address_is_asked_again_and_mails_nothing(client):
    # given nothing

    # when the form is sent with something that is not an address
    response = ask_for_link(client, "not an address")

    # then the form comes back with an error and nothing is sent
    assert response.status_code == 400
    assert b"has-error" in response.content
    assert mail.outbox == []


def test_signing_in_gives_a_new_session_key(client, token):
    # given a visitor with a session already (from the confirm page)
    client.get(signin_path(token))
    before = client.session.session_key
    assert before

    # when they sign in
    client.post(signin_path(token))

    # then the session key has changed, and the old one opens nothing
    assert client.session.session_key != before
    planted = english_client()
    planted.cookies["sessionid"] = before
    assert planted.get(GIFTS_URL).status_code == 302


def test_a_session_ends_two_hours_after_signing_in(client, token):
    # given a donor signed in at noon
    with freeze_time("2026-03-02 12:00:00"):
        client.post(signin_path(token))

    # when they come back at 14:01
    with freeze_time("2026-03-02 14:01:00"):
        response = client.get(GIFTS_URL)

    # then they are asked to sign in again
    assert response.status_code == 302
    assert response["Location"] == REQUEST_URL


def test_signing_out_ends_access(client, token):
    # given a signed-in donor
    client.post(signin_path(token))

    # when they sign out
    response = client.post(reverse("donorspace:signout"))

    # then the space is closed to that browser
    assert response["Location"] == REQUEST_URL
    assert client.get(GIFTS_URL).status_code == 302
    assert "donorspace_donor" not in client.session


def test_a_signed_in_donor_asking_for_a_link_goes_to_their_gifts(client, token):
    # given a signed-in donor
    client.post(signin_path(token))

    # when they open /my/
    response = client.get(REQUEST_URL)

    # then they are taken to their gifts
    assert response.status_code == 302
    assert response["Location"] == GIFTS_URL


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_uses_of_one_link_sign_in_once(token):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    # given one link, pressed in two tabs at the same instant
    start = Barrier(2)

    def use(_tab):
        start.wait()
        try:
            return services.signin_link_use(token).pk
        except services.LinkUsed:
            return "used"
        finally:
            connection.close()

    # when both requests spend it
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(use, range(2)))

    # then exactly one signs in
    assert outcomes.count("used") == 1
    assert SignInLink.objects.get().donor_id in outcomes
