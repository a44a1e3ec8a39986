"""Receipt bundles: a year's receipts as one ZIP with a CSV index, built by a task."""

import csv
import hashlib
import io
import logging
import os
import stat
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from djmoney.money import Money
from freezegun import freeze_time

from campaigns.models import Campaign
from conftest import wait_until
from finance import bundles
from finance.bundles import BundleRefused, bundle_build, bundle_request
from finance.models import ReceiptBundle
from finance.tasks import bundle_build_task
from payments.models import Gift
from receipts.corrections import receipt_cancel, receipt_replace
from receipts.services import receipt_issue_for_gift

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


@pytest.fixture
def issued(paid_gift):
    """Issue the receipt of a new gift paid on 1 June of ``year`` (UTC noon)."""

    def issue(amount="50.00", *, year=2026, **fields):
        gift = paid_gift(amount, **fields)
        paid_at = datetime(year, 6, 1, 12, 0, tzinfo=UTC)
        Gift.objects.filter(pk=gift.pk).update(paid_at=paid_at)
        return receipt_issue_for_gift(gift.pk, notify=False)

    return issue


@pytest.fixture
def staff(db):
    user = User.objects.create_user("finance", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_receipt"))
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def queued(monkeypatch):
    """Record the bundle ids handed to the broker instead of sending them."""
    sent = []
    monkeypatch.setattr(bundle_build_task, "delay", sent.append)
    return sent


def built(year=2026, campaign=None, *, user) -> ReceiptBundle:
    bundle = bundle_request(year=year, campaign=campaign, user=user)
    bundle_build(bundle.pk)
    bundle.refresh_from_db()
    return bundle


def unzip(bundle) -> tuple[dict[str, bytes], list[dict]]:
    """The PDFs of a bundle by entry name, and its index rows."""
    with bundle.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    index = entries.pop("index.csv").decode("utf-8")
    return entries, list(csv.DictReader(io.StringIO(index)))


def zip_bytes(bundle) -> bytes | None:
    return Path(bundle.file.path).read_bytes() if bundle.file else None


def test_zip_holds_one_pdf_per_receipt_of_the_year_and_a_matching_index(issued, staff):
    receipts = [issued("10.00"), issued("20.00"), issued("30.00")]
    issued(year=2025)

    bundle = built(2026, user=staff)

    assert (bundle.status, bundle.total) == (ReceiptBundle.Status.DONE, 3)
    pdfs, rows = unzip(bundle)
    assert sorted(pdfs) == [f"recus-2026/{r.number}.pdf" for r in receipts]
    assert [row["number"] for row in rows] == [r.number for r in receipts]
    for receipt, row in zip(receipts, rows, strict=True):
        pdf = pdfs[f"recus-2026/{receipt.number}.pdf"]
        assert hashlib.sha256(pdf).hexdigest() == row["sha256"] == receipt.pdf_sha256


def test_index_row_describes_the_receipt_in_paris_time(issued, staff):
    with freeze_time("2026-06-02 22:30:00"):
        receipt = issued("120.50")

    _, rows = unzip(built(2026, user=staff))

    assert rows == [
        {
            "number": receipt.number,
            "status": "issued",
            "issued_at_paris": "2026-06-03 00:30:00",
            "donor_name": "Anne Martin",
            "donor_type": "individual",
            "amount": "120.50",
            "currency": "EUR",
            "gift_id": str(receipt.gift_id),
            "campaign": "passeport-jo",
            "replaces_number": "",
            "sha256": receipt.pdf_sha256,
        }
    ]


def test_company_is_named_by_its_company_name(issued, make_donor, staff):
    company = make_donor(
        email="mecenat@acme.example",
        kind="company",
        company_name="ACME Énergie",
        legal_form="SAS",
        siren="130026123",
    )
    issued(donor=company)

    _, rows = unzip(built(2026, user=staff))

    assert (rows[0]["donor_name"], rows[0]["donor_type"]) == ("ACME Énergie", "company")


def test_campaign_filter_keeps_only_that_campaigns_receipts(issued, staff):
    other = Campaign.objects.create(
        slug="bourse-recherche",
        goal=Money(Decimal(5000), "EUR"),
        starts_on="2026-01-01",
    )
    issued("10.00")
    research = issued("20.00", campaign=other)

    bundle = built(2026, other, user=staff)

    pdfs, rows = unzip(bundle)
    assert list(pdfs) == [f"recus-2026/{research.number}.pdf"]
    assert [(row["number"], row["campaign"]) for row in rows] == [
        (research.number, "bourse-recherche")
    ]
    assert bundle.download_name == "recus-fiscaux-2026-bourse-recherche.zip"


def test_cancelled_receipts_are_listed_with_their_status(issued, staff):
    cancelled = issued("10.00")
    receipt_cancel(cancelled.pk, reason="Refunded in full", actor=staff)
    kept = issued("20.00")

    pdfs, rows = unzip(built(2026, user=staff))

    assert [(row["number"], row["status"]) for row in rows] == [
        (cancelled.number, "cancelled"),
        (kept.number, "issued"),
    ]
    assert f"recus-2026/{cancelled.number}.pdf" in pdfs


def test_replacement_names_the_receipt_it_replaces(issued, staff):
    original = issued("100.00")
    replacement = receipt_replace(
        original.pk, kept_amount=Decimal("60.00"), reason="Partial refund"
    )

    _, rows = unzip(built(2026, user=staff))

    by_number = {row["number"]: row for row in rows}
    assert by_number[replacement.number]["replaces_number"] == original.number
    assert by_number[replacement.number]["amount"] == "60.00"
    assert by_number[original.number]["status"] == "cancelled"


def test_year_without_receipts_gives_an_index_with_only_the_header(staff):
    bundle = built(2031, user=staff)

    assert bundle.status == ReceiptBundle.Status.DONE
    with bundle.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        assert archive.namelist() == ["index.csv"]
        assert archive.read("index.csv").decode().splitlines() == [
            ",".join(bundles.INDEX_HEADER)
        ]


def test_zip_gets_the_file_mode_receipt_pdfs_get(issued, staff):
    receipt = issued()

    bundle = built(2026, user=staff)

    assert stat.S_IMODE(os.stat(bundle.file.path).st_mode) == stat.S_IMODE(
        os.stat(receipt.pdf.path).st_mode
    )


@pytest.mark.parametrize("damage", ["tamper", "delete"])
def test_tampered_or_missing_pdf_fails_the_bundle_naming_the_receipt(
    issued, staff, damage, caplog
):
    issued("10.00")
    broken = issued("20.00")
    if damage == "tamper":
        Path(broken.pdf.path).write_bytes(b"%PDF-1.4 not the one issued")
    else:
        broken.pdf.storage.delete(broken.pdf.name)

    with caplog.at_level(logging.ERROR, logger="finance.bundles"):
        bundle = built(2026, user=staff)

    assert bundle.status == ReceiptBundle.Status.FAILED
    assert broken.number in bundle.error
    assert (bundle.file.name, bundle.finished_at is not None) == ("", True)
    assert caplog.records[-1].bundle_id == bundle.pk
    assert broken.number in caplog.records[-1].getMessage()


def test_unexpected_error_fails_the_bundle_and_logs_its_id(
    issued, staff, monkeypatch, caplog
):
    issued()
    monkeypatch.setattr(bundles, "_index_row", _explode)

    with caplog.at_level(logging.ERROR, logger="finance.bundles"):
        bundle = built(2026, user=staff)

    assert bundle.status == ReceiptBundle.Status.FAILED
    assert "disk on fire" in bundle.error
    assert caplog.records[-1].bundle_id == bundle.pk
    assert caplog.records[-1].exc_info is not None


def _explode(row):
    raise RuntimeError("disk on fire")


def test_broker_down_fails_the_bundle_instead_of_leaving_it_queued(
    staff, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(bundle_build_task, "delay", _broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        bundle = bundle_request(year=2026, user=staff)

    bundle.refresh_from_db()
    assert bundle.status == ReceiptBundle.Status.FAILED
    assert bundle.error


def _broker_down(*args, **kwargs):
    raise ConnectionError("broker unreachable")


def test_progress_is_written_as_receipts_are_packed_and_reaches_total(
    issued, staff, monkeypatch
):
    for _ in range(5):
        issued()
    monkeypatch.setattr(bundles, "PROGRESS_EVERY", 2)
    seen = []
    pack = bundles._pack_pdf

    def pack_and_watch(archive, storage, row, entry):
        # What a polling page would read while this receipt is packed.
        seen.append(ReceiptBundle.objects.values_list("done_count", flat=True).get())
        pack(archive, storage, row, entry)

    monkeypatch.setattr(bundles, "_pack_pdf", pack_and_watch)

    bundle = built(2026, user=staff)

    assert seen == [0, 0, 2, 2, 4]
    assert (bundle.done_count, bundle.total, bundle.percent) == (5, 5, 100)


@pytest.mark.parametrize("outcome", ["done", "failed"])
def test_second_run_of_the_task_for_a_finished_bundle_changes_nothing(
    issued, staff, outcome
):
    receipt = issued()
    if outcome == "failed":
        Path(receipt.pdf.path).write_bytes(b"x")
    bundle = built(2026, user=staff)
    before = ReceiptBundle.objects.values().get(pk=bundle.pk)
    zip_before = zip_bytes(bundle)

    bundle_build_task.apply(args=(bundle.pk,))

    assert before["status"] == outcome
    assert ReceiptBundle.objects.values().get(pk=bundle.pk) == before
    assert zip_bytes(bundle) == zip_before


def test_bundle_left_running_by_a_dead_worker_is_rebuilt_from_scratch(issued, staff):
    # Given a build that died halfway, leaving a partial file behind
    receipt = issued()
    bundle = bundle_request(year=2026, user=staff)
    ReceiptBundle.objects.filter(pk=bundle.pk).update(
        status=ReceiptBundle.Status.RUNNING, attempts=1, done_count=1
    )
    leftover = Path(bundle.file.storage.path(f"bundles/2026/{bundle.token}.1.part"))
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half a zip")

    # When the broker hands the task to another worker
    bundle_build_task.apply(args=(bundle.pk,))

    # Then the bundle is built again, whole, and the partial file is gone
    bundle.refresh_from_db()
    assert (bundle.status, bundle.attempts) == (ReceiptBundle.Status.DONE, 2)
    _, rows = unzip(bundle)
    assert [row["number"] for row in rows] == [receipt.number]
    assert not leftover.exists()


def test_request_from_the_page_builds_the_bundle_after_commit(
    staff_client, issued, eager_tasks, django_capture_on_commit_callbacks
):
    receipt = issued()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post("/finance/bundles/", {"year": "2026"})

    bundle = ReceiptBundle.objects.get()
    assert len(callbacks) == 1
    assert response.status_code == 302
    assert response["Location"] == f"/finance/bundles/{bundle.token}/"
    assert bundle.status == ReceiptBundle.Status.DONE
    assert bundle.campaign is None
    _, rows = unzip(bundle)
    assert [row["number"] for row in rows] == [receipt.number]


@pytest.mark.parametrize(
    "data",
    [
        {"year": "abc"},
        {"year": "1850"},
        {"year": "2026", "campaign": "999999"},
        {"year": "2026", "campaign": "x"},
    ],
)
def test_bad_year_or_campaign_is_refused_with_400_and_nothing_queued(
    staff_client, data, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/finance/bundles/", data)

    assert response.status_code == 400
    assert response.context["form"].errors
    assert not ReceiptBundle.objects.exists()
    assert queued == []


@pytest.mark.parametrize(
    ("year", "campaign"), [("2026", None), (1850, None), (2026, 999999)]
)
def test_service_refuses_a_bad_year_or_an_unknown_campaign(
    staff, year, campaign, queued
):
    with pytest.raises(BundleRefused):
        bundle_request(year=year, campaign=campaign, user=staff)

    assert not ReceiptBundle.objects.exists()
    assert queued == []


@pytest.mark.parametrize(
    "page", ["", "{token}/", "{token}/status/", "{token}/download/"]
)
def test_staff_without_receipt_permission_gets_403(client, staff, issued, page):
    issued()
    bundle = built(2026, user=staff)
    client.force_login(User.objects.create_user("intern", password="x", is_staff=True))

    response = client.get("/finance/bundles/" + page.format(token=bundle.token))

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("status", "done_count", "percent", "download"),
    [("running", 10, 25, False), ("done", 40, 100, True)],
)
def test_status_endpoint_returns_json_progress(
    staff_client, staff, queued, status, done_count, percent, download
):
    bundle = bundle_request(year=2026, user=staff)
    ReceiptBundle.objects.filter(pk=bundle.pk).update(
        status=status, total=40, done_count=done_count
    )

    response = staff_client.get(f"/finance/bundles/{bundle.token}/status/")

    assert response["Cache-Control"] == "no-store"
    state = response.json()
    assert (state["status"], state["done_count"], state["percent"]) == (
        status,
        done_count,
        percent,
    )
    link = f"/finance/bundles/{bundle.token}/download/"
    assert state["download_url"] == (link if download else None)


def test_download_streams_the_zip_and_logs_who_took_it(
    staff_client, staff, issued, caplog
):
    receipt = issued()
    bundle = built(2026, user=staff)

    with caplog.at_level(logging.INFO, logger="finance.views"):
        response = staff_client.get(f"/finance/bundles/{bundle.token}/download/")

    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "application/zip",
        'attachment; filename="recus-fiscaux-2026.zip"',
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert f"recus-2026/{receipt.number}.pdf" in archive.namelist()
    record = caplog.records[-1]
    assert (record.bundle_id, record.user_id) == (bundle.pk, staff.pk)


def test_download_of_an_unfinished_bundle_is_404(staff_client, staff, queued):
    bundle = bundle_request(year=2026, user=staff)

    response = staff_client.get(f"/finance/bundles/{bundle.token}/download/")

    assert response.status_code == 404


def test_pages_show_the_bundle_with_its_progress(staff_client, staff, queued):
    bundle = bundle_request(year=2026, user=staff)
    ReceiptBundle.objects.filter(pk=bundle.pk).update(
        status=ReceiptBundle.Status.RUNNING, total=40, done_count=10
    )

    listing = staff_client.get("/finance/bundles/")
    page = staff_client.get(f"/finance/bundles/{bundle.token}/")

    for response in (listing, page):
        assert response.status_code == 200
        assert b'<progress max="100" value="25"' in response.content
        assert f"/finance/bundles/{bundle.token}/status/".encode() in response.content


def test_admin_lists_bundles_read_only(staff_client, staff, queued):
    bundle = bundle_request(year=2026, user=staff)

    listing = staff_client.get("/admin/finance/receiptbundle/")
    page = staff_client.get(f"/admin/finance/receiptbundle/{bundle.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert b"0 / 0" in listing.content
    assert staff_client.get("/admin/finance/receiptbundle/add/").status_code == 403


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_builds_a_requested_bundle(celery_worker_process, issued, staff):
    receipt = issued(year=2026)

    bundle = bundle_request(year=2026, user=staff)

    done = ReceiptBundle.objects.filter(pk=bundle.pk, status="done")
    assert wait_until(done.exists, timeout=30), (
        celery_worker_process.log_path.read_text()[-3000:]
    )
    bundle.refresh_from_db()
    pdfs, rows = unzip(bundle)
    assert list(pdfs) == [f"recus-2026/{receipt.number}.pdf"]
    assert [row["sha256"] for row in rows] == [receipt.pdf_sha256]


def test_campaign_bundle_includes_annual_summaries_with_a_gift_to_it(
    paid_gift, make_donor, staff
):
    from receipts.annual import receipt_issue_annual

    donor = make_donor(receipt_preference="annual")
    gift = paid_gift("30.00", donor=donor, receipt_mode="annual")
    Gift.objects.filter(pk=gift.pk).update(paid_at=datetime(2025, 5, 1, 12, tzinfo=UTC))
    summary = receipt_issue_annual(donor.pk, 2025, notify=False)

    pdfs, rows = unzip(built(2025, gift.campaign, user=staff))

    assert list(pdfs) == [f"recus-2025/{summary.number}.pdf"]
    assert [row["number"] for row in rows] == [summary.number]
