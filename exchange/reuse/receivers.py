"""Reuse checks follow the claims made from the matches of their wanted requests: such a
claim counts for the check, and may close it, as soon as it is committed."""

from django.dispatch import receiver

from exchange.matching.signals import match_claimed
from exchange.reuse.services.checks import reuse_check_match_claimed


@receiver(match_claimed, dispatch_uid="reuse.match_claimed")
def _count_match_claim(sender, match, actor, **kwargs):
    reuse_check_match_claimed(actor=actor, wanted_id=match.wanted_id)
