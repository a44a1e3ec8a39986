"""The three staff roles, as Django groups defined by rules in code.

A rule names an app label and a permission codename, both as shell-style
patterns (``"ledger"``, ``"view_*"``), so the permissions of an app that is
installed later join the right group at its first ``migrate``. A role's
``denies`` win over its ``grants``. The groups are rewritten from these rules
by ``roles_sync`` (on every ``post_migrate`` and by ``sync_roles``): a
permission given to one of these groups by hand is taken away again, so a
lasting change is made here, where it is reviewed.
"""

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class Rule:
    app_label: str
    codename: str = "*"

    def matches(self, app_label: str, codename: str) -> bool:
        return fnmatchcase(app_label, self.app_label) and fnmatchcase(
            codename, self.codename
        )


@dataclass(frozen=True)
class Role:
    # Group.name, so it must never change once users hold the group.
    name: str
    grants: tuple[Rule, ...]
    denies: tuple[Rule, ...] = ()

    def allows(self, app_label: str, codename: str) -> bool:
        if any(rule.matches(app_label, codename) for rule in self.denies):
            return False
        return any(rule.matches(app_label, codename) for rule in self.grants)


CAMPAIGN_MANAGER = Role(
    name="Campaign manager",
    grants=(
        Rule("campaigns"),  # campaigns, suggested amounts, beneficiaries
        # The dashboard's figures are the daily totals: seeing them is what
        # dashboard.view_dailytotal means, and the /staff/ pages require it.
        Rule("dashboard"),
        # The scholarship ledger is planned with the beneficiaries; closing
        # a year freezes money and belongs to finance.
        Rule("ledger"),
        Rule("wall"),  # donor messages, moderate_message included
    ),
    denies=(Rule("ledger", "close_year"),),
)

FINANCE = Role(
    name="Finance",
    grants=(
        Rule("payments"),  # gifts, refunds (refund_gift), Stripe events
        Rule("receipts"),
        Rule("finance"),  # exports and receipt bundles
        Rule("offline"),  # offline gift batches, post_batch included
        Rule("reconcile"),
        Rule("fx"),
        Rule("donors", "view_*"),
        Rule("donors", "change_*"),
        Rule("ledger", "view_*"),
        Rule("ledger", "close_year"),
        # To read which campaign a gift went to; never to edit one.
        Rule("campaigns", "view_campaign"),
        Rule("roles", "view_auditentry"),
    ),
)

ADMINISTRATOR = Role(name="Administrator", grants=(Rule("*"),))

ROLES = (CAMPAIGN_MANAGER, FINANCE, ADMINISTRATOR)
