"""The JSON API: bearer tokens, pagination, and responses valid by the OpenAPI document."""

from __future__ import annotations

import hashlib

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from surveyapp.models import ApiToken
from surveyapp.services.indices.runs import compute_run, publish_run
from tests.services.test_indices import demo_period


@pytest.fixture()
def token(app, demo):
    from surveyapp.services.admin.api_tokens import create_token

    return create_token("scoring")


@pytest.fixture()
def runs(app, demo):
    from surveyapp.services.admin.demo import seed_responses

    seed_responses(600)
    draft = compute_run(demo_period(), "hall")
    published = publish_run(compute_run(demo_period(), "hall"))
    compute_run(demo_period(), "region")
    return draft, published


def _validator(client, name: str):
    document = client.get("/api/v1/openapi.json").get_json()
    resource = DRAFT202012.create_resource(document)
    registry = Registry().with_resource("urn:openapi", resource)
    schema = {"$ref": f"urn:openapi#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _get(client, url, token):
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def test_token_stored_as_sha256_only(app, token):
    stored = app.extensions["sqlalchemy"].session.scalar(select(ApiToken))
    assert stored.name == "scoring" and token not in stored.token_hash
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong", "Basic abc"])
def test_401_without_a_valid_token(client, token, header):
    headers = {"Authorization": header} if header else {}
    for url in ("/api/v1/index-runs", "/api/v1/index-runs/1", "/api/v1/indices"):
        response = client.get(url, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        _validator(client, "Error").validate(response.get_json())


def test_revoked_token_refused(client, token):
    from surveyapp.services.admin.api_tokens import revoke_tokens

    assert _get(client, "/api/v1/index-runs", token).status_code == 200
    revoke_tokens("scoring")
    assert _get(client, "/api/v1/index-runs", token).status_code == 401


def test_openapi_document_is_public_and_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert {"/index-runs", "/index-runs/{run_id}", "/indices"} <= set(document["paths"])
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_index_runs_paginated(client, token, runs):
    validator = _validator(client, "RunPage")
    first = _get(client, "/api/v1/index-runs?per_page=2", token)
    assert first.status_code == 200
    body = first.get_json()
    validator.validate(body)
    assert body["total"] == 3 and body["pages"] == 2 and len(body["items"]) == 2
    assert body["links"]["prev"] is None and body["links"]["next"]
    second = _get(client, body["links"]["next"], token).get_json()
    validator.validate(second)
    assert len(second["items"]) == 1 and second["links"]["next"] is None
    ids = [r["id"] for r in body["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    filtered = _get(client, "/api/v1/index-runs?level=region", token).get_json()
    assert filtered["total"] == 1


@pytest.mark.parametrize("query", ["page=0", "per_page=1000", "per_page=x"])
def test_bad_paging_is_400_json(client, token, runs, query):
    response = _get(client, f"/api/v1/index-runs?{query}", token)
    assert response.status_code == 400
    _validator(client, "Error").validate(response.get_json())


def test_run_detail(client, token, runs):
    draft, _published = runs
    response = _get(client, f"/api/v1/index-runs/{draft.id}", token)
    body = response.get_json()
    _validator(client, "RunDetail").validate(body)
    assert len(body["results"]) == 8 and body["status"] == "draft"
    assert body["results"][0]["rank"] == 1
    missing = _get(client, "/api/v1/index-runs/9999", token)
    assert missing.status_code == 404 and missing.get_json()["error"]


def test_indices_of_the_published_run(client, token, runs):
    _draft, published = runs
    period = published.period
    url = f"/api/v1/indices?period={period}&level=hall&per_page=5"
    body = _get(client, url, token).get_json()
    _validator(client, "ResultPage").validate(body)
    assert body["total"] == 8 and len(body["items"]) == 5
    assert {item["run_id"] for item in body["items"]} == {published.id}
    rest = _get(client, body["links"]["next"], token).get_json()
    assert len(rest["items"]) == 3
    assert _get(client, "/api/v1/indices?level=hall", token).status_code == 400
    none = _get(client, "/api/v1/indices?period=2099&level=hall", token)
    assert none.status_code == 404
    assert none.get_json()["error"]["code"] == "not_found"
    # A text that names no period is the client's error, with the reason.
    for bad, reason in (("Q4 2026", "not understood"), ("2026-13", "month 13")):
        wrong = _get(client, f"/api/v1/indices?period={bad}&level=hall", token)
        assert wrong.status_code == 400, bad
        error = wrong.get_json()["error"]
        assert error["code"] == "invalid_period" and reason in error["message"]
    listed = _get(client, "/api/v1/index-runs?period=Q4%202026", token)
    assert listed.status_code == 400
    assert listed.get_json()["error"]["code"] == "invalid_period"
