import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import roles.encoding


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="at")),
                ("action", models.CharField(db_index=True, max_length=64, verbose_name="action")),
                ("object_type", models.CharField(blank=True, max_length=100, verbose_name="object type")),
                ("object_id", models.CharField(blank=True, max_length=64, verbose_name="object id")),
                ("data", models.JSONField(blank=True, default=dict, encoder=roles.encoding.AuditJSONEncoder, verbose_name="details")),
                ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="by")),
            ],
            options={
                "verbose_name": "audit entry",
                "verbose_name_plural": "audit trail",
                "ordering": ["-at", "-pk"],
                "default_permissions": ("view",),
                "indexes": [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")],
            },
        ),
    ]
