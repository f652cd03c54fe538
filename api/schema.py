"""OpenAPI post-processing: document the X-Organisation header on every operation, and
the 422 of an Idempotency-Key used for another request where the key is taken."""

ORGANISATION_PARAMETER = {
    "in": "header",
    "name": "X-Organisation",
    "schema": {"type": "integer"},
    "required": False,
    "description": (
        "Id of the organisation you act for (one of your memberships; 403 otherwise). "
        "Without it, your current organisation."
    ),
}


def add_organisation_header(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        if path.endswith("/auth/token/"):
            continue
        for operation in operations.values():
            if isinstance(operation, dict) and "operationId" in operation:
                operation.setdefault("parameters", []).append(dict(ORGANISATION_PARAMETER))
    return result


IDEMPOTENCY_REUSED_RESPONSE = {
    "description": (
        "The Idempotency-Key was used for another request (code `idempotency_key_reused`)."
    ),
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "errors": {"type": "object"},
                },
                "required": ["code", "detail"],
            }
        }
    },
}


def add_idempotency_responses(result, generator, request, public):
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            names = {parameter.get("name") for parameter in operation.get("parameters", [])}
            if "Idempotency-Key" in names:
                operation.setdefault("responses", {})["422"] = IDEMPOTENCY_REUSED_RESPONSE
    return result
