from django.core.management.base import BaseCommand

from exchange.lots.services.lots import lots_advance


class Command(BaseCommand):
    help = (
        "Expire lots whose available-until date passed and announce claim windows that "
        "opened (what Celery beat runs every 5 minutes). Safe to run twice."
    )

    def handle(self, *args, **options):
        counts = lots_advance()
        self.stdout.write(
            "{expired} lots expired, {tiers_opened} claim windows opened.".format(**counts)
        )
