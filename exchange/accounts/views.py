from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from exchange.accounts.forms import ApiTokenForm
from exchange.accounts.selectors import api_token_list
from exchange.accounts.services import api_token_create, api_token_revoke, user_profile_update
from exchange.common.errors import ApplicationError
from exchange.common.forms import add_application_error


@require_POST
def switch_language(request):
    """The language switcher: sets the cookie (Django's view) and, for a signed-in
    person, saves the choice so that e-mails come in it too."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_profile_update(user=request.user, language=language)
    return response


@login_required
def overview(request):
    """The person's account: e-mail, password, two-factor, API tokens."""
    return render(
        request,
        "accounts/overview.html",
        {
            "tokens": api_token_list(user=request.user)[:5],
            "token_count": api_token_list(user=request.user).count(),
        },
    )


@login_required
def tokens(request):
    """The person's API tokens: make one (its key is shown this once), revoke one."""
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and "revoke" in request.POST:
        try:
            api_token_revoke(user=request.user, token_id=int(request.POST["revoke"]))
        except (ApplicationError, ValueError):
            messages.error(request, _("No such token."))
        else:
            messages.success(request, _("The token is revoked: it no longer opens the API."))
        return redirect("accounts:tokens")
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            form = ApiTokenForm()
            messages.success(request, _("Token %(name)s is made.") % {"name": token.name})
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": api_token_list(user=request.user),
            "now": timezone.now(),
            "settings_days": settings.EXCHANGE_API_TOKEN_DAYS,
        },
    )
