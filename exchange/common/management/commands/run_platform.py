"""Run the whole platform in the foreground: web server (gunicorn with threads, static
files by WhiteNoise), Celery worker and Celery beat.

Ctrl-C (or SIGTERM) stops all three. Used by ``make run``.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from exchange.common.serving import web_command
from exchange.common.signals import platform_started


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and Celery beat; stop all on Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port: int, host: str, **options):
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "exchange"]
        commands = {
            "web": web_command(host=host, port=port, python=python),
            "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
            "beat": [
                *celery,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        processes: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            if stopping:
                return
            stopping = True
            self.stdout.write("\nStopping web server, worker and beat ...")
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 15
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command)  # noqa: S603 (our own interpreter)

        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\nReuse Exchange runs on {url}"))
        self.stdout.write(f"API docs: {url}api/docs/   Admin: {url}admin/")
        for _receiver, lines in platform_started.send(sender=None, url=url):
            for line in lines or ():
                self.stdout.write(line)
        self.stdout.write("Press Ctrl-C to stop.\n")

        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with code {process.returncode}")
                        stop()
                        break
                time.sleep(0.5)
        finally:
            stop()
        failed = [name for name, p in processes.items() if p.returncode not in (0, -2, -15, None)]
        if failed and not stopping:
            sys.exit(1)
