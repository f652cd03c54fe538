"""Events other parts of the platform listen to (impact), sent after the transaction
that caused them has committed."""

from django.dispatch import Signal

# sender=Claim, claim=<Claim> (collected: the handover is confirmed)
claim_collected = Signal()
