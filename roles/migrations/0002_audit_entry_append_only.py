from django.db import migrations

# PostgreSQL refuses to change or delete an audit entry, whoever asks (the
# admin, a shell, raw SQL from the application's role). TRUNCATE is left to
# the database owner (tests flush the table between cases).
CREATE = """
CREATE FUNCTION roles_auditentry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'the audit trail is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER roles_auditentry_append_only
    BEFORE UPDATE OR DELETE ON roles_auditentry
    FOR EACH ROW EXECUTE FUNCTION roles_auditentry_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS roles_auditentry_append_only ON roles_auditentry;
DROP FUNCTION IF EXISTS roles_auditentry_refuse_change();
"""


def _on_postgresql(sql):
    # SQLite (the demo) has no such trigger; the admin still refuses.
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("roles", "0001_initial")]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
