"""Two staff members closing the same year at once close it once."""

import threading

import pytest
from django.db import connection
from freezegun import freeze_time

from ledger.models import LedgerLine, LedgerYear
from ledger.selectors import LedgerError
from ledger.services import ledger_close_year

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_closes_of_one_year_make_one_closed_year(
    olympic, athletes, give, even
):
    give("100.00", to=athletes[0])
    start = threading.Barrier(2)
    outcomes = []

    def close():
        try:
            start.wait()
            ledger_close_year(campaign_id=olympic.pk, year=2025)
            outcomes.append("closed")
        except LedgerError:
            outcomes.append("refused")
        finally:
            connection.close()

    with freeze_time("2026-02-01 10:00:00"):
        threads = [threading.Thread(target=close) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    assert sorted(outcomes) == ["closed", "refused"]
    assert LedgerYear.objects.count() == 1
    assert LedgerLine.objects.count() == len(athletes)
