from django.core.checks import Error, register

from receipts.eligibility import foundation_problems


@register()
def foundation_block_check(app_configs, **kwargs):
    """Refuse to start with a foundation block no receipt could carry."""
    return [
        Error(
            problem,
            hint="Set the FOUNDATION_* environment variables.",
            id="receipts.E001",
        )
        for problem in foundation_problems()
    ]
