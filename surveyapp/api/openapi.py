"""The OpenAPI 3 document of the JSON API, served at /api/v1/openapi.json."""

from __future__ import annotations

from surveyapp.errors import ERROR_CODES
from surveyapp.services.indices.runs import EXCLUSION_REASONS, LEVELS

NUM = {"type": ["number", "null"]}
INT = {"type": ["integer", "null"]}

# A year, quarter, month or explicit date range, as `flask indices run` takes.
PERIOD_SCHEMA = {
    "type": "string",
    # Years 2000-2100 (analysis/periods.py); a day that does not exist or a
    # range that ends before it starts is a 400 with code invalid_period.
    "pattern": r"^((20\d\d|2100)(-Q[1-4]|-(0[1-9]|1[0-2]))?"
    r"|(20\d\d|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\.\."
    r"(20\d\d|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))$",
    "examples": ["2026-Q3", "2026-07", "2026", "2026-07-01..2026-07-15"],
}


def _excluded() -> dict:
    return {
        "type": "object",
        "properties": {r: {"type": "integer", "minimum": 0} for r in EXCLUSION_REASONS},
        "additionalProperties": False,
    }


RUN = {
    "type": "object",
    "required": [
        "id",
        "period",
        "level",
        "method",
        "status",
        "dimension_weights",
        "cutoff",
        "code_version",
        "response_count",
        "excluded",
    ],
    "properties": {
        "id": {"type": "integer"},
        "period": {"type": "string", "examples": ["2026-Q3"]},
        "period_start": {"type": "string", "format": "date"},
        "period_end": {"type": "string", "format": "date"},
        "level": {"type": "string", "enum": list(LEVELS)},
        "method": {"type": "string", "enum": ["fixed", "ahp", "entropy", "regression"]},
        "status": {"type": "string", "enum": ["draft", "published", "superseded"]},
        "dimension_weights": {
            "type": "object",
            "additionalProperties": {"type": "number"},
        },
        "parameters": {"type": "object"},
        "method_notes": {"type": "array", "items": {"type": "string"}},
        "cutoff": {"type": "string", "format": "date-time"},
        "code_version": {"type": "string"},
        "response_count": {"type": "integer"},
        "excluded": _excluded(),
        "inputs_sha256": {"type": "string"},
        "overall": {
            "type": "object",
            "description": "the index of all units together (index, se, ci_low,"
            " ci_high, df, n)",
            "additionalProperties": NUM,
        },
        "supersedes_id": INT,
        "supersede_reason": {"type": ["string", "null"]},
        "published_at": {"type": ["string", "null"], "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}

RESULT = {
    "type": "object",
    "required": [
        "unit_code",
        "unit_name",
        "period",
        "n",
        "n_eff",
        "index",
        "se",
        "ci_low",
        "ci_high",
        "good_rate",
        "bad_rate",
        "band",
        "rank",
        "points",
        "rankable",
        "excluded_total",
    ],
    "properties": {
        "run_id": {"type": "integer"},
        "level": {"type": "string", "enum": list(LEVELS)},
        "unit_code": {"type": "string"},
        "unit_name": {"type": "string"},
        "period": {"type": "string"},
        "n": {"type": "integer", "minimum": 0},
        "n_eff": NUM,
        "deff": NUM,
        "df": NUM,
        "index": {**NUM, "description": "0-100"},
        "se": NUM,
        "ci_low": {**NUM, "description": "95% interval"},
        "ci_high": NUM,
        "good_rate": {**NUM, "description": "好评率, share of levels 4-5"},
        **{
            f"{rate}_{part}": {
                **NUM,
                "description": f"{rate}: design-based {label} (logit interval)",
            }
            for rate in ("good_rate", "bad_rate")
            for part, label in (("se", "SE"), ("ci_low", "lower"), ("ci_high", "upper"))
        },
        "bad_rate": {**NUM, "description": "差评率, share of levels 1-2"},
        "overall_mean": NUM,
        "driver_scores": {"type": "object", "additionalProperties": NUM},
        "driver_intervals": {
            "type": "object",
            "description": "per driver: se, ci_low, ci_high of its score",
            "additionalProperties": {"type": "object", "additionalProperties": NUM},
        },
        "band": {
            "type": ["string", "null"],
            "enum": ["above", "same", "below", None],
            "description": "significantly above / not different from / below the"
            " overall index; null when not rankable",
        },
        "vs_overall": {
            "type": "object",
            "description": "index minus the overall index: diff, se, ci_low, ci_high",
            "additionalProperties": NUM,
        },
        "vs_overall_diff": NUM,
        "vs_overall_ci_low": NUM,
        "vs_overall_ci_high": NUM,
        "rank": {
            **INT,
            "description": "1 + the number of units significantly better (ties"
            " where not separated); null when not rankable",
        },
        "points": NUM,
        "rankable": {"type": "boolean"},
        "excluded_total": {"type": "integer"},
        "excluded": _excluded(),
        "responses": {
            "type": "integer",
            "description": "the unit's responses that count (all but the rejected):"
            " the office summary's 评价数 for the same period",
        },
    },
    "patternProperties": {"^score_": NUM},
}


def _page_of(ref: str) -> dict:
    link = {"type": ["string", "null"]}
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "pages", "links"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": ref}},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
            "links": {
                "type": "object",
                "required": ["self", "first", "last", "next", "prev"],
                "properties": {
                    k: link for k in ("self", "first", "last", "next", "prev")
                },
            },
        },
    }


def _param(name: str, schema: dict, required: bool = False, where: str = "query"):
    return {"name": name, "in": where, "required": required, "schema": schema}


PAGING = [
    _param(
        "page", {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}
    ),
    _param(
        "per_page", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
    ),
]


def _ok(ref: str) -> dict:
    return {
        "description": "OK",
        "content": {"application/json": {"schema": {"$ref": ref}}},
    }


def _error(text: str) -> dict:
    return {
        "description": text,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    }


# Finer codes than the status's word (surveyapp/errors.py).
EXTRA_CODES = ("invalid_period", "csrf", "database_unavailable")
ERRORS = {
    "400": _error("Bad parameters (code invalid_period: the period's reason)"),
    "401": _error("No valid bearer token"),
}


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "surveyapp satisfaction indices API",
            "version": "1.0.0",
            "description": "Weighted satisfaction indices (0-100) with 95% intervals, "
            "for the performance scoring system. Bearer token from "
            "`flask api-tokens create --name scoring`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/index-runs": {
                "get": {
                    "summary": "Index runs, newest first",
                    "parameters": [
                        *PAGING,
                        _param("period", PERIOD_SCHEMA),
                        _param("level", {"type": "string", "enum": list(LEVELS)}),
                        _param(
                            "status",
                            {
                                "type": "string",
                                "enum": ["draft", "published", "superseded"],
                            },
                        ),
                    ],
                    "responses": {"200": _ok("#/components/schemas/RunPage"), **ERRORS},
                }
            },
            "/index-runs/{run_id}": {
                "get": {
                    "summary": "One run with every unit's result",
                    "parameters": [
                        _param(
                            "run_id",
                            {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                            True,
                            "path",
                        )
                    ],
                    "responses": {
                        "200": _ok("#/components/schemas/RunDetail"),
                        "401": ERRORS["401"],
                        "404": _error("No such run"),
                    },
                }
            },
            "/indices": {
                "get": {
                    "summary": "Results of the latest published run of a period and level",
                    "parameters": [
                        _param("period", PERIOD_SCHEMA, True),
                        _param("level", {"type": "string", "enum": list(LEVELS)}, True),
                        _param(
                            "status",
                            {
                                "type": "string",
                                "enum": ["published", "draft"],
                                "default": "published",
                            },
                        ),
                        *PAGING,
                    ],
                    "responses": {
                        "200": _ok("#/components/schemas/ResultPage"),
                        **ERRORS,
                        "404": _error("No run for this period and level"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI document"}},
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Run": RUN,
                "Result": RESULT,
                "RunDetail": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Run"},
                        {
                            "type": "object",
                            "required": ["results"],
                            "properties": {
                                "results": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Result"},
                                }
                            },
                        },
                    ]
                },
                "RunPage": _page_of("#/components/schemas/Run"),
                "ResultPage": _page_of("#/components/schemas/Result"),
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {
                                    "type": "string",
                                    "enum": sorted(
                                        {*ERROR_CODES.values(), *EXTRA_CODES}
                                    ),
                                },
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
            },
        },
    }
