"""The published API schema is generated from the code and committed as docs/openapi.yaml, so that a
change to the API shows in review as a change to that file (issue 13 §2). Never edit it by hand."""

import difflib
from pathlib import Path

import pytest
from django.core.management import call_command

COMMITTED = Path(__file__).resolve().parents[4] / "docs" / "openapi.yaml"
REGENERATE = (
    "SHUXIANG_TESTING=true .venv/bin/shuxiang spectacular --file docs/openapi.yaml --validate --fail-on-warn"
)


def generate(path: Path) -> str:
    # No database: the schema must not depend on what a database holds (or whether there is one).
    call_command("spectacular", file=str(path), validate=True, fail_on_warn=True)
    return path.read_text(encoding="utf-8")


def test_the_committed_openapi_schema_is_what_the_code_generates(tmp_path):
    generated = generate(tmp_path / "openapi.yaml")
    if not COMMITTED.exists():
        pytest.fail(f"docs/openapi.yaml is missing. Generate it with\n  {REGENERATE}\nand commit it.")
    committed = COMMITTED.read_text(encoding="utf-8")
    if generated != committed:
        diff = list(
            difflib.unified_diff(
                committed.splitlines(), generated.splitlines(), "docs/openapi.yaml", "generated", lineterm=""
            )
        )
        shown = "\n".join(diff[:80]) + (f"\n… {len(diff) - 80} more lines" if len(diff) > 80 else "")
        pytest.fail(
            "docs/openapi.yaml is not what the code generates: the API changed. Regenerate it with\n"
            f"  {REGENERATE}\n"
            f"and commit it with the change, so reviewers see what the API now says.\n\n{shown}"
        )


def test_every_operation_documents_the_one_error_shape():
    """Refusals are part of the contract: each operation lists them with {"code","message","fields"}."""
    import yaml

    schema = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "message", "fields"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            refusals = {code for code in operation["responses"] if code.startswith("4")}
            assert {"401", "404"} <= refusals, f"{method.upper()} {path} lists only {sorted(refusals)}"


# Values tried for a path parameter, the first one its schema pattern accepts (a house code, a place code…).
PATH_VALUES = ("1", "43090310320101-0007", "43090310320101", "430903103000", "430903")


def _path_value(operation, name) -> str:
    import re

    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter["name"] == name:
            pattern = parameter.get("schema", {}).get("pattern")
            if pattern:
                return next((v for v in PATH_VALUES if re.fullmatch(pattern.strip("^$"), v)), "1")
    return "1"


@pytest.mark.django_db
def test_every_operation_that_asks_for_a_token_answers_401_without_one(anon_api):
    """What the schema says about authentication holds: no token, no answer (`GET /api/v1/cases/` once
    answered an empty list); operations that take an optional token say so (`security` lists `{}`)."""
    import re

    import yaml

    schema = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    wrong = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if {} in operation.get("security", [{}]):
                continue
            url = re.sub(r"\{([^}]+)\}", lambda m, op=operation: _path_value(op, m.group(1)), path)
            answer = anon_api.generic(method.upper(), url, b"{}", content_type="application/json")
            if answer.status_code != 401:
                wrong.append(f"{method.upper()} {path}: {answer.status_code}")
    assert not wrong, "answered without a token:\n" + "\n".join(wrong)
