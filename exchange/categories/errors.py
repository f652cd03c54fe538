from enum import StrEnum


class CategoryError(StrEnum):
    FACTOR_VERSION_EXISTS = "factor_version_exists"
