"""Every error in one answer: an input serializer parses every field (DRF collects each
field's error), then the service's rules (the one module that holds them, e.g.
``lot_validate``) run on the fields that parsed, and the answer is one 400 with every
field and its reason. A field that failed to parse keeps its parse error alone."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import SkipField, get_error_detail

from exchange.common.errors import ApplicationError
from exchange.common.limits import ID_MAX


def id_field(**options) -> serializers.IntegerField:
    """An input field that names a row by its id: 1 to ``ID_MAX``."""
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **options)


class AllErrorsInputSerializer(serializers.Serializer):
    """A subclass says how to ask its service in ``service_rules``; the view passes
    what the rules need (the acting membership, the object changed) in the context."""

    def service_rules(self, values: dict, *, invalid: frozenset[str]) -> None:
        """Run the service's validator on ``values`` (the fields that parsed; ``invalid``
        names those that did not); it raises ApplicationError with every broken rule."""
        raise NotImplementedError

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # DRF's answer to a body not an object
        values: dict = {}
        errors: dict = {}
        for field in self._writable_fields:
            validate_method = getattr(self, "validate_" + field.field_name, None)
            primitive = field.get_value(data)
            try:
                value = field.run_validation(primitive)
                if validate_method is not None:
                    value = validate_method(value)
            except serializers.ValidationError as exc:
                errors[field.field_name] = exc.detail
            except DjangoValidationError as exc:
                errors[field.field_name] = get_error_detail(exc)
            except SkipField:
                pass
            else:
                self.set_value(values, field.source_attrs, value)
        invalid = frozenset(errors)
        try:
            self.service_rules(values, invalid=invalid)
        except ApplicationError as exc:
            if not exc.errors and not errors:
                raise
            for name, messages in exc.errors.items():
                if name.split(".", 1)[0] in invalid:
                    continue  # its parse error says it
                errors[name] = [
                    ErrorDetail(message, code=exc.code_of(name, index))
                    for index, message in enumerate(messages)
                ]
        if errors:
            raise serializers.ValidationError(errors)
        return values
