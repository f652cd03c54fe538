import time

from django.core.management.base import BaseCommand

from exchange.impact.services import impact_totals_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the monthly impact totals that the statistics read from all impact "
        "records (after a bulk load that bypassed the services, or to repair them). Safe "
        "to run at any time: writers of records wait for it, readers are not disturbed."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        rows = impact_totals_rebuild()
        self.stdout.write(
            f"{rows} monthly total rows from the impact records in "
            f"{time.monotonic() - started:.1f} s."
        )
