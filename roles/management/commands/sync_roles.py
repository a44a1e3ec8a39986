from django.core.management.base import BaseCommand

from roles.definitions import ROLES
from roles.services import roles_sync


class Command(BaseCommand):
    help = (
        "Create the staff role groups and give each exactly the permissions "
        "its rules grant (roles/definitions.py). Safe to run again."
    )

    def handle(self, *args, **options):
        changes = roles_sync()
        if not changes:
            self.stdout.write(
                "Roles already up to date: "
                + ", ".join(role.name for role in ROLES)
                + "."
            )
            return
        for change in changes:
            if change.created:
                self.stdout.write(f"{change.group}: group created")
            for name in change.added:
                self.stdout.write(f"{change.group}: + {name}")
            for name in change.removed:
                self.stdout.write(f"{change.group}: - {name}")
        self.stdout.write(self.style.SUCCESS("Roles synchronised."))
