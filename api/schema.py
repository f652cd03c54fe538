"""OpenAPI post-processing: document the X-Organisation header on every operation."""

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
