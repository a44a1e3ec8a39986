"""The floor of the export: the same rows straight from PostgreSQL with COPY.

    .venv/bin/python -m bench.copy_export DATABASE_URL YEAR OUTPUT

Same joins, filter, order and columns as ``finance.exports.donation_rows``,
formatted by PostgreSQL and streamed with psycopg's ``cursor.copy()``.
"""

import sys

import psycopg
from psycopg import sql

QUERY = """
COPY (
    SELECT g.id AS gift_id, g.status,
        to_char(g.paid_at AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD HH24:MI:SS')
            AS paid_at_paris,
        g.amount, g.amount_currency AS currency, c.slug AS campaign,
        coalesce(b.public_name, '') AS beneficiary, g.donor_id,
        d.kind AS donor_type,
        CASE WHEN d.kind = 'company' THEN d.company_name
             ELSE btrim(d.first_name || ' ' || d.last_name) END AS donor_name,
        d.siren AS company_siren, d.email AS donor_email, d.postal_code, d.country,
        CASE WHEN g.anonymous THEN 'yes' ELSE 'no' END AS anonymous,
        g.method AS payment_method,
        g.stripe_payment_intent_id AS stripe_payment_intent,
        coalesce(r.number, '') AS receipt_number
    FROM payments_gift g
    JOIN campaigns_campaign c ON c.id = g.campaign_id
    JOIN donors_donor d ON d.id = g.donor_id
    LEFT JOIN campaigns_beneficiary b ON b.id = g.beneficiary_id
    LEFT JOIN receipts_receipt r ON r.gift_id = g.id
    WHERE g.paid_at >= make_timestamptz({year}, 1, 1, 0, 0, 0, 'Europe/Paris')
      AND g.paid_at < make_timestamptz({next}, 1, 1, 0, 0, 0, 'Europe/Paris')
    ORDER BY g.paid_at, g.id
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def main(url: str, year: int, output: str) -> None:
    query = sql.SQL(QUERY).format(year=year, next=year + 1)
    with (
        psycopg.connect(url) as conn,
        conn.cursor() as cursor,
        open(output, "wb") as out,
        cursor.copy(query) as copy,
    ):
        for block in copy:
            out.write(block)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
