"""How the platform's web server is started: gunicorn with threads (gthread).

One definition for `make run` (``run_platform``), the bench and the tests, so that
what is measured is what runs. Static files are served by WhiteNoise inside the
application, on the embedded default too.
"""

import os
import sys


def web_workers() -> int:
    return max(1, int(os.environ.get("WEB_WORKERS", "2")))


def web_threads() -> int:
    return max(1, int(os.environ.get("WEB_THREADS", "8")))


def web_command(*, host: str, port: int, python: str | None = None) -> list[str]:
    """The command line of the web server that `make run` starts.

    gthread: each worker process answers with a pool of threads and keeps waiting
    connections in the listen backlog instead of resetting them. The access log goes
    to standard output like the development server's did; SIGINT or SIGTERM stop it
    after the requests in flight (``--graceful-timeout``)."""
    return [
        python or sys.executable,
        "-m",
        "gunicorn",
        "exchange.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(web_workers()),
        "--threads",
        str(web_threads()),
        "--backlog",
        "2048",
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--access-logformat",
        '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms',
    ]
