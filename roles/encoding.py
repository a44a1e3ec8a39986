from django.core.serializers.json import DjangoJSONEncoder
from djmoney.money import Money


class AuditJSONEncoder(DjangoJSONEncoder):
    """Keeps an amount's currency with it: Money becomes amount + currency."""

    def default(self, o):
        if isinstance(o, Money):
            return {"amount": str(o.amount), "currency": str(o.currency)}
        return super().default(o)
