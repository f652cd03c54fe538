from django.core.management.base import BaseCommand, CommandError

from devtools.load.impact import impact_generate_load, impact_generated_load_delete
from devtools.load.lots import (
    LOAD_ORGANISATION_PREFIX,
    GeneratedLoadInUse,
    lots_generate_load,
    lots_generated_load_delete,
)
from devtools.load.wanted import wanted_generate_load, wanted_generated_load_delete


class Command(BaseCommand):
    help = (
        "Bulk-generate load-test data of generated, verified organisations (named "
        f'"{LOAD_ORGANISATION_PREFIX} ..."): published lots (--lots), open wanted requests '
        "(--wanted), five years of impact records (--impact). Not for production data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--lots",
            type=int,
            default=None,
            help="Published lots (default 100000, or 0 with --wanted or --impact).",
        )
        parser.add_argument("--organisations", type=int, default=300)
        parser.add_argument(
            "--wanted", type=int, default=0, help="Open wanted requests of those organisations."
        )
        parser.add_argument(
            "--impact",
            type=int,
            default=0,
            help="Impact records over five years, with the lots and claims behind them.",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--reset",
            action="store_true",
            help="First delete what was generated before of the kinds asked for (lots: "
            "everything generated, since requests, matches and history refer to them).",
        )

    def handle(self, *args, lots, organisations, wanted, impact, seed, reset, **options):
        if lots is None:
            lots = 0 if (wanted or impact) else 100_000
        if min(lots, wanted, impact) < 0 or organisations < 1:
            raise CommandError("--lots, --wanted, --impact must be >= 0, --organisations >= 1.")
        if reset:
            self._reset(lots=bool(lots), wanted=bool(wanted), impact=bool(impact))
        try:
            if lots:
                result = lots_generate_load(lots=lots, organisations=organisations, seed=seed)
                self.stdout.write(
                    "Generated {lots} lots ({attestations} sanitisation attestations) of "
                    "{organisations} organisations with {sites} sites in {total_seconds} s "
                    "(insert {insert_seconds} s, then {index_seconds} s).".format(**result)
                )
            if wanted:
                result = wanted_generate_load(wanted=wanted, seed=seed)
                self.stdout.write(
                    "Generated {wanted} open wanted requests of {organisations} organisations "
                    "in {seconds} s.".format(**result)
                )
            if impact:
                result = impact_generate_load(records=impact, seed=seed)
                self.stdout.write(
                    "Generated {records} impact records ({lots} lots, {claims} collected claims) "
                    "in {seconds} s.".format(**result)
                )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

    def _reset(self, *, lots: bool, wanted: bool, impact: bool) -> None:
        if impact or lots:
            deleted = impact_generated_load_delete()
            self.stdout.write(
                "Deleted {records} generated impact records, {claims} claims, {lots} lots.".format(
                    **deleted
                )
            )
        if wanted or lots:
            deleted = wanted_generated_load_delete()
            self.stdout.write(
                "Deleted {wanted} generated wanted requests and {matches} matches.".format(
                    **deleted
                )
            )
        if lots:
            try:
                deleted = lots_generated_load_delete()
            except GeneratedLoadInUse as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                "Deleted {lots} generated lots and {organisations} organisations.".format(**deleted)
            )
