"""Health endpoint, production settings, migrations in step with models."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_database_broker_and_stripe_answer(client, stripe_api):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "stripe": "ok",
    }


def test_healthz_is_503_when_stripe_is_down(client, stripe_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["stripe"] == "down"


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        **os.environ,
        "MECENE_ENV": "production",
        "SECRET_KEY": "x" * 60 + "-production-like-secret-for-the-check",
        "ALLOWED_HOSTS": "dons.example.org",
        "STRIPE_SECRET_KEY": "sk_live_placeholder",
        "STRIPE_PUBLISHABLE_KEY": "pk_live_placeholder",
        "STRIPE_WEBHOOK_SECRET": "whsec_placeholder",
        "MECENE_VAR_DIR": str(tmp_path),
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {
        **os.environ,
        "MECENE_ENV": "production",
        "SECRET_KEY": "",
        "MECENE_VAR_DIR": str(tmp_path),
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
