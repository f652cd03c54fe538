"""Events of matching that higher parts of the platform listen to (reuse checks), sent
after the transaction that caused them has committed."""

from django.dispatch import Signal

# sender=Match, match=<Match>, claim=<Claim>, actor=<Membership> (a claim made from a match)
match_claimed = Signal()
