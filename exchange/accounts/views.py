from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from exchange.accounts.forms import LoginForm, SignUpForm
from exchange.accounts.services import user_profile_update, user_sign_up
from exchange.common.errors import ApplicationError
from exchange.common.forms import add_application_error


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def sign_up(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None, initial={"language": translation.get_language()})
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(**form.cleaned_data)
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            login(request, user, backend="exchange.accounts.backends.UsernameOrEmailBackend")
            messages.success(
                request, _("Welcome! Register your organisation, or ask its admin to add you.")
            )
            return redirect("organisations:register")
    return render(request, "accounts/signup.html", {"form": form})


@require_POST
def switch_language(request):
    """The language switcher: sets the cookie (Django's view) and, for a signed-in
    person, saves the choice so that e-mails come in it too."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_profile_update(user=request.user, language=language)
    return response
