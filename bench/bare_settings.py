"""The platform's settings with the bench's bare endpoints added (bench/bare_urls.py):
for gunicorn started by the bench only (``DJANGO_SETTINGS_MODULE=bare_settings``, with
bench/ on the path). The product never loads this module."""

from exchange.settings import *  # noqa: F403

ROOT_URLCONF = "bare_urls"
