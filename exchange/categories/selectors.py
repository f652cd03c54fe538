from django.db.models import Prefetch, Q, QuerySet

from exchange.categories.models import Category, CategoryFactor, FactorVersion


def category_list() -> QuerySet[Category]:
    current = CategoryFactor.objects.filter(version__is_current=True).select_related("version")
    return Category.objects.select_related("parent").prefetch_related(
        Prefetch("factors", queryset=current, to_attr="current_factors")
    )


def category_roots() -> QuerySet[Category]:
    """The top of the tree, each with its children."""
    return category_list().filter(parent__isnull=True).prefetch_related("children")


def subtree_condition(path: str, *, field: str = "path") -> Q:
    """Matches the category at ``path`` and all its descendants (an indexed prefix query);
    ``field`` lets other models filter through their category (``category__path``)."""
    return Q(**{field: path}) | Q(**{f"{field}__startswith": f"{path}/"})


def in_subtree(path: str, root: str) -> bool:
    """``subtree_condition`` for one path: the category at ``root`` or a descendant."""
    return path == root or path.startswith(f"{root}/")


def subtrees(roots) -> tuple[dict[str, list[int]], dict[int, str]]:
    """The ids of each root path's subtree (``subtree_condition``), and the path of each
    of those categories, in one query."""
    roots = sorted(set(roots))
    if not roots:
        return {}, {}
    condition = Q()
    for root in roots:
        condition |= subtree_condition(root)
    paths = dict(Category.objects.filter(condition).order_by("pk").values_list("pk", "path"))
    ids = {root: [pk for pk, path in paths.items() if in_subtree(path, root)] for root in roots}
    return ids, paths


def category_subtree(category: Category) -> QuerySet[Category]:
    return Category.objects.filter(subtree_condition(category.path))


def factor_version_current() -> FactorVersion | None:
    """The factor version new impact records use: the one published last (at most one
    is current, a unique constraint holds it); None before the categories are loaded."""
    return FactorVersion.objects.filter(is_current=True).first()
