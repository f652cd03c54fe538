"""Error codes are members of the apps' StrEnums: no code is written as a string where an
error is raised, and no member is left unused."""

import ast
import enum
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    path
    for folder in ("exchange", "api")
    for path in sorted((ROOT / folder).rglob("*.py"))
    if "migrations" not in path.parts
]
ERROR_MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in (ROOT / "exchange").glob("*/errors.py")
)


def _error_enums() -> list[type[enum.StrEnum]]:
    enums = []
    for name in ERROR_MODULES:
        module = importlib.import_module(name)
        enums += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, enum.StrEnum)
            and value.__module__ == name
            and value.__name__.endswith("Error")
        ]
    return enums


def _codes() -> set[str]:
    return {member.value for error_enum in _error_enums() for member in error_enum}


ERRORS = {"ApplicationError", "ValidationError"}


def _name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _literal_codes(tree: ast.AST, codes: set[str]) -> list[tuple[int, str]]:
    """Strings written where an error code goes: the ``code`` of an ApplicationError or
    a ValidationError, the "code" of an answer, or an argument of any call (a helper
    that raises) whose text is a known code."""
    found = []
    for node in ast.walk(tree):
        literal, known = [], []
        if isinstance(node, ast.Call):
            keywords = [kw.value for kw in node.keywords if kw.arg == "code"]
            (literal if _name(node.func) in ERRORS else known).extend(keywords)
            known += node.args
        elif isinstance(node, ast.Dict):
            literal += [
                value
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and key.value == "code"
            ]
        for value in literal + known:
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                continue
            if value in literal or value.value in codes:
                found.append((value.lineno, value.value))
    return found


def test_the_error_codes_are_enum_members_not_strings():
    codes = _codes()
    assert {"lot_not_found", "lot_has_live_claims", "required", "invalid"} <= codes
    literals = [
        f"{path.relative_to(ROOT)}:{line}: {code!r}"
        for path in SOURCES
        if path.name != "errors.py"
        for line, code in _literal_codes(ast.parse(path.read_text()), codes)
    ]
    assert literals == []


def test_every_error_code_is_used():
    text = "\n".join(path.read_text() for path in SOURCES)
    unused = [
        f"{error_enum.__name__}.{member.name}"
        for error_enum in _error_enums()
        for member in error_enum
        if not re.search(rf"\b{error_enum.__name__}\.{member.name}\b", text)
    ]
    assert unused == []
