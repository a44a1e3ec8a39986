"""LEDGER_ALLOCATION_RULE is checked when the process starts."""

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(("rule", "ok"), [("in_order", True), ("random", False)])
def test_the_allocation_rule_is_read_from_the_environment_and_checked(
    tmp_path, rule, ok
):
    env = {
        **os.environ,
        "LEDGER_ALLOCATION_RULE": rule,
        "MECENE_VAR_DIR": str(tmp_path),
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings; print(settings.LEDGER_ALLOCATION_RULE)"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip

    if ok:
        assert result.stdout.strip().splitlines()[-1] == "in_order"
    else:
        assert result.returncode != 0
        assert "LEDGER_ALLOCATION_RULE must be even or in_order, not 'random'" in (
            result.stderr
        )
