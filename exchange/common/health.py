"""Liveness and readiness: is the process up, can it reach the database and the broker."""

import os
from pathlib import Path

from celery import current_app
from django.db import connection


def check_database() -> str | None:
    """None when the database answers, else the reason."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"{type(exc).__name__}: {exc}"
    return None


def check_broker() -> str | None:
    """None when the Celery broker accepts a connection, else the reason."""
    app = current_app  # the project's Celery app (exchange/celery.py), set as current

    if str(app.conf.broker_url).startswith("filesystem://"):
        options = app.conf.broker_transport_options or {}
        for key in ("data_folder_in", "data_folder_out"):
            folder = Path(options.get(key, ""))
            if not folder.is_dir() or not os.access(folder, os.W_OK):
                return f"broker folder {folder} is missing or not writable"
        return None
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:  # kombu raises the transport's own errors
        return f"{type(exc).__name__}: {exc}"
    return None
