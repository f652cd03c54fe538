from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with the username or, case-insensitively, the e-mail address (allauth
    passes the login as ``email`` when it holds an @, the admin and the API as
    ``username``). Takes the same time whether or not the account exists."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        login = username if username is not None else email
        if login is None or password is None:
            return None
        user_model = get_user_model()
        login = login.strip()
        lookup = {"email__iexact": login} if "@" in login else {"username": login}
        user = user_model._default_manager.filter(**lookup).order_by("pk").first()
        if user is None:
            user_model().set_password(password)  # same time whether or not the user exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
