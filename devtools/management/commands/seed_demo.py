from django.core.management.base import BaseCommand

from devtools.demo.seed import demo_seed


class Command(BaseCommand):
    help = "Load categories and demo organisations, sites and users (idempotent)."

    def handle(self, *args, **options):
        result = demo_seed()
        self.stdout.write(
            f"Demo data ready: {len(result['organisations'])} organisations, "
            f"{len(result['users'])} users (password: {result['password']})."
        )
