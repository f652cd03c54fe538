"""Writes on wanted requests and matches (docs/design.md §4): wanted requests, which lots fit
which requests, the matching engine, the notices of matches, and claiming from a match."""
