"""Parts of the lot page that the apps above lots add: claims its claim box (the claim
form or why not; to the owner, the lot's claims), matching the owner's count of wanted
requests the lot matched. Each app registers its section at start-up (AppConfig.ready),
so the lot page imports none of them: it includes each section's template with the
variables the section gives."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from exchange.lots.models import Lot
from exchange.organisations.models import Membership

# Where a section shows: in the owner's panel, or beside the photos above the details.
PLACES = ("owner", "aside")


@dataclass(frozen=True)
class LotPageSection:
    place: str
    template: str
    # (*, request, actor, lot) -> the template's variables (named after their app)
    context: Callable[..., dict]


_SECTIONS: dict[str, LotPageSection] = {}


def lot_page_section_register(
    name: str, *, place: str, template: str, context: Callable[..., dict]
) -> None:
    """Add a section to the lot page (from an AppConfig.ready); ``name`` keeps it once."""
    if place not in PLACES:
        raise ValueError(f"place must be one of {PLACES}, not {place!r}")
    _SECTIONS[name] = LotPageSection(place=place, template=template, context=context)


def lot_page_sections(*, request: HttpRequest, actor: Membership | None, lot: Lot) -> dict:
    """The sections' variables, and ``sections``: each place's templates in order."""
    context: dict = {"sections": {place: [] for place in PLACES}}
    for section in _SECTIONS.values():
        context.update(section.context(request=request, actor=actor, lot=lot))
        context["sections"][section.place].append(section.template)
    return context
