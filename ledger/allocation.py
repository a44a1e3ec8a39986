"""How undesignated money is shared among beneficiaries that still need it.

Pure functions on integer minor units (cents), so totals reconcile to the
cent: the amounts returned always add up to min(pool, total need), and no
beneficiary ever gets more than it needs.
"""

from ledger.models import AllocationRule


def allocate(pool: int, needs: list[int], rule: str) -> list[int]:
    """What each need (in position order) gets from ``pool``, in cents."""
    if any(need < 0 for need in needs):
        raise ValueError("needs cannot be negative")
    if pool <= 0:
        return [0] * len(needs)
    if rule == AllocationRule.IN_ORDER:
        return _in_order(pool, needs)
    if rule == AllocationRule.EVEN:
        return _even(pool, needs)
    raise ValueError(f"unknown allocation rule {rule!r}")


def _in_order(pool: int, needs: list[int]) -> list[int]:
    given = []
    for need in needs:
        share = min(need, pool)
        given.append(share)
        pool -= share
    return given


def _even(pool: int, needs: list[int]) -> list[int]:
    given = [0] * len(needs)
    waiting = [i for i, need in enumerate(needs) if need > 0]
    while waiting and pool > 0:
        share = pool // len(waiting)
        # Those an even share would fill take only what they need; the rest
        # is shared again among the others.
        filled = [i for i in waiting if needs[i] <= share]
        if filled:
            for i in filled:
                given[i] = needs[i]
                pool -= needs[i]
            waiting = [i for i in waiting if i not in filled]
            continue
        # Everyone still needs more than a share: split evenly, the odd
        # cents going one each in position order. share + 1 <= each need.
        odd = pool - share * len(waiting)
        for rank, i in enumerate(waiting):
            given[i] = share + (1 if rank < odd else 0)
        pool = 0
    return given
