import pytest
from django.contrib.auth.models import Group, User

from roles.definitions import ADMINISTRATOR, CAMPAIGN_MANAGER, FINANCE

# The people of the matrix: one per role, and staff who hold none.
ROLE_GROUPS = {
    "campaign_manager": CAMPAIGN_MANAGER.name,
    "finance": FINANCE.name,
    "administrator": ADMINISTRATOR.name,
    "staff_without_role": None,
}


@pytest.fixture
def role_user(db):
    """A staff account holding one role's group (never a superuser)."""

    def make(role: str) -> User:
        user = User.objects.create_user(role, password="x", is_staff=True)
        if ROLE_GROUPS[role]:
            user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
        return user

    return make
