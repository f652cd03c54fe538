from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in person sees their own language unless they just picked another
    with the switcher (which sets the language cookie and saves it on them)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
