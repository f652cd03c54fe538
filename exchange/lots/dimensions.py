"""A lot's size (width × depth × height of one unit, in whole cm) and whether it fits a
wanted request's maximum size: one rule, read by the matching engine on each of its
paths (per request, per lot, set-based) and by the benchmark's naive matcher.

A dimension fits when it is at most the request's maximum of it. A dimension the lot
does not state, or the request does not limit, does not exclude the lot: a lot that is
known not to fit is no match; a lot whose size is unknown still is."""

from collections.abc import Sequence

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.common.errors import CommonError

DIMENSION_MAX_CM = 2_000  # 20 m: larger is a typo (mm typed as cm)
SIZE_FIELDS = ("width_cm", "depth_cm", "height_cm")
MAX_SIZE_FIELDS = ("max_width_cm", "max_depth_cm", "max_height_cm")
DIMENSION_LABELS = {
    "width_cm": gettext_lazy("Width (cm)"),
    "depth_cm": gettext_lazy("Depth (cm)"),
    "height_cm": gettext_lazy("Height (cm)"),
}

Size = Sequence[int | float | None]  # (width, depth, height); None: not stated


def wanted_size_limit(wanted) -> tuple[int | None, int | None, int | None]:
    """A wanted request's maximum size (max width, depth, height; None: no limit)."""
    return tuple(getattr(wanted, name) for name in MAX_SIZE_FIELDS)


def size_fits(size: Size, limit: Size) -> bool:
    """Whether a unit of ``size`` fits within ``limit`` (a wanted request's maximum)."""
    return all(
        most is None or value is None or value <= most
        for value, most in zip(size, limit, strict=True)
    )


def lots_fitting(limit: Size, prefix: str = "") -> Q:
    """``size_fits`` as a filter on lots (fields under ``prefix``) for one maximum size."""
    condition = Q()
    for name, most in zip(SIZE_FIELDS, limit, strict=True):
        if most is not None:
            condition &= Q(**{f"{prefix}{name}__isnull": True}) | Q(
                **{f"{prefix}{name}__lte": most}
            )
    return condition


def requests_admitting(size: Size, prefix: str = "") -> Q:
    """``size_fits`` as a filter on wanted requests for one lot's size."""
    condition = Q()
    for name, value in zip(MAX_SIZE_FIELDS, size, strict=True):
        if value is not None:
            condition &= Q(**{f"{prefix}{name}__isnull": True}) | Q(
                **{f"{prefix}{name}__gte": value}
            )
    return condition


def size_fits_array(sizes: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """``size_fits`` of every request (rows of ``limits``, shape (m, 3)) and lot (rows of
    ``sizes``, shape (n, 3)) at once, NaN for what is not stated: booleans that
    broadcast to (m, n). A dimension that no request limits or no lot states excludes
    nothing and is not compared (most requests state no maximum: then the answer is a
    single True, at no cost for the m x n pairs)."""
    fits = np.ones((1, 1), dtype=bool)
    for dimension in range(limits.shape[1]):
        most, size = limits[:, dimension], sizes[:, dimension]
        unlimited, unstated = np.isnan(most), np.isnan(size)
        if unlimited.all() or unstated.all():
            continue
        fits = fits & (unlimited[:, None] | unstated[None, :] | (size[None, :] <= most[:, None]))
    return fits


def size_array(rows: Sequence[Size]) -> np.ndarray:
    """Sizes (or maxima) as a float array (len, 3), NaN for None."""
    nan = float("nan")
    return np.array(
        [[nan if v is None else float(v) for v in row] for row in rows], dtype=np.float64
    ).reshape(len(rows), 3)


def dimensions_check(errors: dict, values: dict[str, int | None]) -> None:
    """Add to ``errors`` each dimension of ``values`` (field -> cm) out of 1–2000 cm."""
    for name, value in values.items():
        if value is not None and not 1 <= value <= DIMENSION_MAX_CM:
            errors.setdefault(name, []).append(
                ValidationError(
                    _("A dimension is a whole number of cm from 1 to %(max)s.")
                    % {"max": DIMENSION_MAX_CM},
                    code=CommonError.OUT_OF_RANGE,
                )
            )


def size_text(size: Size, *, unstated: str = "?") -> str:
    """ "120 × 60 × 75 cm", with ``unstated`` ("?") for a dimension not stated; "" when
    none is. A wanted request's maximum size reads "120 × – × 75 cm" (``unstated="–"``:
    no limit)."""
    if all(v is None for v in size):
        return ""
    return " × ".join(unstated if v is None else str(v) for v in size) + " cm"
