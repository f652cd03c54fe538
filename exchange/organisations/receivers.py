"""What organisations does when something happens beneath it."""

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from exchange.organisations.invitations import invitations_accept_for_address


@receiver(email_confirmed, dispatch_uid="organisations.invitations_on_email_confirmed")
def invitations_accept_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    """A person who confirms an invited address becomes a member (never before)."""
    invitations_accept_for_address(user=email_address.user, email=email_address.email)
