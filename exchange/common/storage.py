from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.storage import Storage
from django.db import transaction


class SavedFiles:
    """Files written to storage during one service call."""

    def __init__(self) -> None:
        self.entries: list[tuple[Storage, str]] = []

    def add(self, storage: Storage, name: str) -> None:
        self.entries.append((storage, name))


@contextmanager
def atomic_with_files() -> Iterator[SavedFiles]:
    """A transaction that also owns the files saved inside it: if anything fails, up to
    and including the commit, those files are deleted, so that no orphan stays in storage."""
    saved = SavedFiles()
    try:
        with transaction.atomic():
            yield saved
    except BaseException:
        for storage, name in saved.entries:
            storage.delete(name)
        raise


def delete_files_on_commit(entries: list[tuple[Storage, str]]) -> None:
    """Delete files once the rows that pointed to them are gone for good."""

    def delete() -> None:
        for storage, name in entries:
            if name:
                storage.delete(name)

    transaction.on_commit(delete)
