"""The OpenAPI document lists every registered route with its parameters and answers, errors included."""

from __future__ import annotations

import re
from typing import Any

from tests.api.conftest import Device


async def document(device: Device) -> dict[str, Any]:
    response = await device.client.get("/api/v1/openapi.json")
    assert response.status == 200
    return dict(await response.json())


async def test_every_registered_route_is_documented(device: Device) -> None:
    doc = await document(device)
    registered = {
        (route.method.lower(), route.resource.canonical)
        for route in device.client.app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert registered == documented
    assert len(registered) == 17


async def test_each_operation_names_its_path_parameters_roles_and_error_answers(device: Device) -> None:
    doc = await document(device)
    assert doc["openapi"] == "3.1.0"
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path)), (method, path)
            answers = op["responses"]
            assert "400" in answers and "405" in answers
            if op["x-roles"]:
                assert {"401", "403", "429"} <= answers.keys() and op["security"] == [{"bearer": []}]
            if "requestBody" in op:
                assert "413" in answers
            error = answers["400"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}
    assert doc["components"]["schemas"]["Error"]["properties"]["error"]["required"] == ["code", "message"]


async def test_the_document_is_valid_openapi_3_1(device: Device) -> None:
    import schemathesis

    schema = schemathesis.openapi.from_dict(await document(device))
    schema.validate()
    assert len(list(schema.get_all_operations())) == 17
