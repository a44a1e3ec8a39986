"""The export page, its background jobs and who may use them."""

import csv
import io
import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from openpyxl import load_workbook

from conftest import wait_until
from finance.export_datasets import ExportFilters, get_dataset
from finance.export_jobs import (
    export_job_build,
    export_job_request,
    export_purge_expired,
)
from finance.models import ExportJob
from finance.tasks import export_build_task
from payments.models import Gift

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
PAGE = "/finance/exports/"
FINANCE_PERMS = ("add_exportjob", "view_gift", "view_donor", "view_receipt")


def staff_user(username, *codenames) -> User:
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def finance_user(db):
    return staff_user("finance", *FINANCE_PERMS)


@pytest.fixture
def finance_client(client, finance_user):
    client.force_login(finance_user)
    return client


@pytest.fixture
def gifts_2026(paid_gift):
    def make(count=1, **fields):
        made = []
        for _ in range(count):
            gift = paid_gift("50.00", **fields)
            Gift.objects.filter(pk=gift.pk).update(
                paid_at=datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
            )
            made.append(gift)
        return made

    return make


@pytest.fixture
def queued(monkeypatch):
    """Record the job ids handed to the broker instead of sending them."""
    sent = []
    monkeypatch.setattr(export_build_task, "delay", sent.append)
    return sent


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# === The page ===


def test_small_export_streams_at_once(finance_client, gifts_2026):
    [gift] = gifts_2026()

    response = finance_client.get(PAGE, {"dataset": "gifts", "year": "2026"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="gifts-2026.csv"'
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeffgift_id;status;")
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert [row["gift_id"] for row in rows] == [str(gift.pk)]
    from roles.models import AuditEntry

    entry = AuditEntry.objects.get(action="export.gifts_downloaded")
    assert entry.data["year"] == 2026


def test_page_download_button_gives_xlsx(finance_client, gifts_2026):
    gifts_2026(2)

    response = finance_client.post(
        PAGE,
        {"dataset": "donors", "year": "2026", "format": "xlsx", "action": "download"},
    )

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(body(response))).active
    assert sheet.max_row == 2  # header and the one donor of both gifts


@pytest.mark.parametrize(
    "params",
    [
        {"dataset": "gifts", "year": "2026", "colour": "red"},
        {"dataset": "gifts", "year": "2026", "status": "lost"},
        {"dataset": "gifts", "year": "abc"},
        {"dataset": "salaries", "year": "2026"},
        {"dataset": "gifts", "year": "2026", "method": "crypto"},
    ],
)
def test_bad_filter_is_a_400_page_and_queues_nothing(finance_client, queued, params):
    got = finance_client.get(PAGE, params)
    posted = finance_client.post(PAGE, params)

    assert got.status_code == posted.status_code == 400
    assert b"errornote" in got.content or b"errorlist" in got.content
    assert ExportJob.objects.count() == 0
    assert queued == []


def test_unknown_filter_is_named_in_the_answer(finance_client):
    response = finance_client.get(
        PAGE, {"dataset": "gifts", "year": "2026", "yaer": "1"}
    )

    assert response.status_code == 400
    assert "yaer" in response.content.decode()


def test_repeated_filter_is_refused(finance_client):
    response = finance_client.get(PAGE + "?dataset=gifts&year=2026&year=2025")

    assert response.status_code == 400


def test_large_export_asks_for_a_background_job(finance_client, gifts_2026, settings):
    settings.MECENE_EXPORT_STREAM_ROWS = 1
    gifts_2026(2)

    response = finance_client.get(PAGE, {"dataset": "gifts", "year": "2026"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert ExportJob.objects.count() == 0


# === Permissions ===


def test_staff_without_export_permission_gets_403(client, db):
    client.force_login(staff_user("campaigns", "view_campaign", "view_gift"))

    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE, {"dataset": "gifts", "year": "2026"}).status_code == 403
    assert client.post(PAGE, {"dataset": "gifts", "year": "2026"}).status_code == 403
    assert ExportJob.objects.count() == 0


def test_export_permission_alone_does_not_open_donors(client, db, queued):
    client.force_login(staff_user("clerk", "add_exportjob", "view_gift"))

    assert client.get(PAGE, {"dataset": "donors", "year": "2026"}).status_code == 403
    assert client.post(PAGE, {"dataset": "donors", "year": "2026"}).status_code == 403
    assert client.get(PAGE, {"dataset": "gifts", "year": "2026"}).status_code == 200
    assert ExportJob.objects.count() == 0


def test_non_staff_is_sent_to_the_login(client, db):
    user = User.objects.create_user("donor", password="x")
    user.user_permissions.add(Permission.objects.get(codename="add_exportjob"))
    client.force_login(user)

    response = client.get(PAGE)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# === Jobs ===


def test_posting_queues_a_job_after_commit(
    finance_client, finance_user, gifts_2026, queued, django_capture_on_commit_callbacks
):
    gifts_2026(3)

    with django_capture_on_commit_callbacks(execute=True):
        response = finance_client.post(
            PAGE, {"dataset": "gifts", "year": "2026", "campaign": "passeport-jo"}
        )

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert queued == [job.pk]
    assert (job.status, job.total, job.requested_by) == ("queued", 3, finance_user)
    assert job.filters == {"year": 2026, "campaign": "passeport-jo"}


def test_job_writes_the_file_and_the_owner_downloads_it(
    finance_client, finance_user, gifts_2026, queued
):
    gifts_2026(2)
    finance_client.post(PAGE, {"dataset": "gifts", "year": "2026", "format": "xlsx"})
    job = ExportJob.objects.get()

    export_job_build(job.pk)

    job.refresh_from_db()
    assert (job.status, job.row_count, job.percent) == ("done", 2, 100)
    assert job.expires_at > timezone.now()
    state = finance_client.get(f"{job.get_absolute_url()}status/").json()
    assert state["status"] == "done"
    assert state["download_url"].endswith("/download/")
    response = finance_client.get(state["download_url"])
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('filename="gifts-2026.xlsx"')
    sheet = load_workbook(io.BytesIO(body(response))).active
    assert sheet.max_row == 3
    from roles.models import AuditEntry

    entry = AuditEntry.objects.get(action="export.gifts_downloaded")
    assert (entry.object_id, entry.data["rows"]) == (str(job.pk), 2)


def test_another_staff_member_cannot_see_or_download_a_job(
    client, finance_user, gifts_2026, queued
):
    gifts_2026()
    job = export_job_request(
        dataset=get_dataset("gifts"),
        filters=ExportFilters(year=2026),
        fmt="csv",
        separator=";",
        user=finance_user,
    )
    export_job_build(job.pk)
    client.force_login(staff_user("colleague", *FINANCE_PERMS))

    for suffix in ("", "status/", "download/"):
        assert client.get(job.get_absolute_url() + suffix).status_code == 404


def test_rebuilding_a_finished_job_changes_nothing(finance_client, gifts_2026, queued):
    gifts_2026()
    finance_client.post(PAGE, {"dataset": "gifts", "year": "2026"})
    job = ExportJob.objects.get()
    export_job_build(job.pk)
    job.refresh_from_db()

    export_job_build(job.pk)

    again = ExportJob.objects.get()
    assert (again.attempts, again.file.name, again.status) == (1, job.file.name, "done")


def test_job_left_running_is_written_again(finance_client, gifts_2026, queued):
    gifts_2026()
    finance_client.post(PAGE, {"dataset": "gifts", "year": "2026"})
    ExportJob.objects.update(status="running", attempts=1, row_count=5)

    export_job_build(ExportJob.objects.get().pk)

    job = ExportJob.objects.get()
    assert (job.status, job.attempts, job.row_count) == ("done", 2, 1)


def test_expired_job_file_is_deleted_and_download_is_gone(
    finance_client, gifts_2026, queued
):
    gifts_2026()
    finance_client.post(PAGE, {"dataset": "gifts", "year": "2026"})
    job = ExportJob.objects.get()
    export_job_build(job.pk)
    job.refresh_from_db()
    path = job.file.path

    assert export_purge_expired(now=job.expires_at + timedelta(seconds=1)) == 1

    job.refresh_from_db()
    assert job.status == "expired"
    assert not os.path.exists(path)
    assert finance_client.get(f"{job.get_absolute_url()}download/").status_code == 410


def test_broker_down_fails_the_job_with_a_message(
    finance_client, gifts_2026, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args):
        raise ConnectionError("no broker")

    monkeypatch.setattr(export_build_task, "delay", down)
    gifts_2026()

    with django_capture_on_commit_callbacks(execute=True):
        finance_client.post(PAGE, {"dataset": "gifts", "year": "2026"})

    job = ExportJob.objects.get()
    assert job.status == "failed"
    assert job.error


@pytest.mark.django_db(transaction=True)
def test_worker_writes_a_large_export_end_to_end(
    celery_worker_process, client, paid_gift, settings
):
    settings.MECENE_EXPORT_STREAM_ROWS = 1
    user = staff_user("finance", *FINANCE_PERMS)
    client.force_login(user)
    for amount in ("10.00", "20.00", "30.00"):
        gift = paid_gift(amount)
        Gift.objects.filter(pk=gift.pk).update(
            paid_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        )

    response = client.post(PAGE, {"dataset": "accounting", "year": "2026"})
    job = ExportJob.objects.get()
    page = client.get(response["Location"])

    assert page.status_code == 200
    assert b"<progress" in page.content
    done = wait_until(
        lambda: ExportJob.objects.filter(pk=job.pk, status="done").exists(), timeout=60
    )
    assert done, ExportJob.objects.get(pk=job.pk).error
    download = client.get(f"{job.get_absolute_url()}download/")
    text = body(download).decode("utf-8")
    lines = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert len(lines) == 6
    assert {line["analytic_code"] for line in lines} == {"passeport-jo"}


def test_gift_list_links_to_the_exports_for_those_allowed(client, db):
    allowed = staff_user("finance", *FINANCE_PERMS)
    other = staff_user("viewer", "view_gift")

    client.force_login(allowed)
    assert PAGE.encode() in client.get("/admin/payments/gift/").content
    client.force_login(other)
    assert PAGE.encode() not in client.get("/admin/payments/gift/").content


def test_page_lists_only_my_jobs(finance_client, finance_user, queued, db):
    mine = ExportJob.objects.create(
        requested_by=finance_user, dataset="gifts", format="csv", filters={"year": 2026}
    )
    colleague = staff_user("colleague", *FINANCE_PERMS)
    theirs = ExportJob.objects.create(
        requested_by=colleague, dataset="donors", format="csv", filters={"year": 2025}
    )

    content = finance_client.get(PAGE).content.decode()

    assert str(mine.token) in content
    assert str(theirs.token) not in content


def test_admin_lists_jobs_read_only_for_those_allowed(client, finance_user, db):
    job = ExportJob.objects.create(
        requested_by=finance_user, dataset="gifts", format="csv", filters={"year": 2026}
    )
    auditor = staff_user("auditor", "view_exportjob")
    url = f"/admin/finance/exportjob/{job.pk}/change/"

    client.force_login(finance_user)
    assert client.get("/admin/finance/exportjob/").status_code == 403
    client.force_login(auditor)
    assert client.get("/admin/finance/exportjob/").status_code == 200
    assert client.get(url).status_code == 200
    assert client.post(url, {"dataset": "donors"}).status_code == 403
    assert ExportJob.objects.get().dataset == "gifts"
