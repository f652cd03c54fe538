"""Events of the platform as a whole that other packages listen to."""

from django.dispatch import Signal

# Sent by ``manage.py run_platform`` once the web server, worker and beat run, with
# sender=None and url=<the site's address>. Receivers return lines to print under the
# address (the development tools: the demo logins).
platform_started = Signal()
