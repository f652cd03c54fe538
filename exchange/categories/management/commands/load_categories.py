from django.core.management.base import BaseCommand

from exchange.categories.services import categories_load


class Command(BaseCommand):
    help = "Load the category tree and impact factors from the versioned data file (idempotent)."

    def handle(self, *args, **options):
        counts = categories_load()
        self.stdout.write(
            "Categories: {created} created, {updated} updated, {unchanged} unchanged.".format(
                **counts
            )
        )
