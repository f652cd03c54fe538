"""The Celery application: configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery

from exchange.common import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
broker.install()

app = Celery("exchange")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
