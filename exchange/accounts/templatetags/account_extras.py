from django import template
from django.conf import settings
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def oidc_button_label() -> str:
    """The federal sign-in button: ``OIDC_BUTTON_LABEL`` where set, else our words."""
    return settings.OIDC_BUTTON_LABEL or _("Sign in with the Federal Authentication Service")
