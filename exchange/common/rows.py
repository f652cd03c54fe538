"""Model instances from the row of a statement written by hand, as the ORM makes them."""

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model


class ModelColumns:
    """A model's concrete columns in a statement (``columns``: ``alias."column", ...``),
    and its instance from the values of those columns in a row (the database's
    converters applied, as the ORM does): None when the primary key is NULL (an outer
    join found nothing)."""

    def __init__(self, model: type[Model], alias: str):
        self.model = model
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        self.columns = ", ".join(f"{alias}.{quote(field.column)}" for field in fields)
        self.width = len(fields)
        self._pk = next(index for index, field in enumerate(fields) if field.primary_key)
        self._converters = []
        for index, field in enumerate(fields):
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self._converters.append((index, column, found))

    def instance(self, values: tuple) -> Model | None:
        if values[self._pk] is None:
            return None
        if self._converters:
            values = list(values)
            for index, column, converters in self._converters:
                for converter in converters:
                    values[index] = converter(values[index], column, connection)
        return self.model.from_db(DEFAULT_DB_ALIAS, None, values)
