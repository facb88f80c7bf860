"""Schemathesis checks the JSON API against its own OpenAPI description."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.views.test_api import runs, token  # noqa: F401 - fixtures


def test_api_conforms_to_its_openapi_document(app, runs, token):  # noqa: F811
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        # Every documented status code, content type and response schema holds,
        # and no generated input makes the server fail.
        @given(case=operation.as_strategy())
        @settings(
            max_examples=30, deadline=None, suppress_health_check=list(HealthCheck)
        )
        def check(case):
            # A period's pattern cannot say which days a month has or that a
            # range must not end before it starts: such a period is a 400
            # (invalid_period, documented), not a rejected valid request.
            case.call_and_validate(
                headers=headers,
                excluded_checks=[schemathesis.checks.positive_data_acceptance],
            )

        check()
        checked.append(operation.label)
    assert {"GET /index-runs", "GET /index-runs/{run_id}", "GET /indices"} <= set(
        checked
    )
