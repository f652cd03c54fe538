"""What organisations does when something happens beneath it."""

from allauth.account.signals import email_confirmed, user_signed_up
from django.dispatch import receiver

from exchange.accounts.selectors import user_verified_emails
from exchange.organisations.invitations import invitations_accept_for_address


@receiver(email_confirmed, dispatch_uid="organisations.invitations_on_email_confirmed")
def invitations_accept_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    """A person who confirms an invited address becomes a member (never before)."""
    invitations_accept_for_address(user=email_address.user, email=email_address.email)


@receiver(user_signed_up, dispatch_uid="organisations.invitations_on_sign_up")
def invitations_accept_on_sign_up(sender, request, user, **kwargs) -> None:
    """A new account whose address was verified as it was made (the federal sign-in,
    whose provider verified it) becomes a member at once; a local sign-up's address is
    not verified yet, and waits for its confirmation."""
    for email in user_verified_emails(user=user):
        invitations_accept_for_address(user=user, email=email)
