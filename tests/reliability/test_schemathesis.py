"""Schemathesis over ``/openapi.json`` (issue #17): every phase (coverage, fuzzing, stateful
through the document's links) against a real server on loopback, as an anonymous caller and as a
signed-in user. Zero 5xx, zero answers that contradict the document (status, content type,
schema).

Default: about a minute per run; ``GRAPHPORT_TEST_LONG=1`` generates ten times more. The figures
(cases, failures and 5xx per phase, and the statuses the stateful phase reached) are printed and
repeated in the "graphport reliability" summary.

To reach the core logic and not only the validation of random bytes, a hook maps part of the
generated bodies to well-formed ones: dataset descriptions bound to columns ``s``/``d``/``n``,
and Arrow tables (uploads, live writes, the plot frame) with those columns. The rest stays random.
"""

from __future__ import annotations

import collections
import io
import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pytest
import schemathesis
from schemathesis.engine import events, from_schema

from graphport import Server

from ..conftest import PASSWORD, LiveServer
from ._report import LONG, SCALE, report, table

pytestmark = [pytest.mark.reliability, pytest.mark.parametrize("stack", ["embedded"], indirect=True)]

ARROW_TYPES = ["application/vnd.apache.arrow.stream", "application/vnd.apache.arrow.file"]
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
MAX_EXAMPLES = 25 * SCALE
MAX_STEPS = 30 * SCALE
BOUND_SPEC = {
    "name": "schemathesis",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "n"}},
}

# Arrow bodies go on the wire as the bytes they are (random ones, or the tables mapped in below).
schemathesis.serializer.alias(ARROW_TYPES, "application/octet-stream")


def arrow_stream(table_: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table_.schema) as writer:
        writer.write_table(table_)
    return sink.getvalue()


EDGES = arrow_stream(pa.table({"s": ["a", "b", "c"], "d": ["b", "c", "a"]}))
NODES = arrow_stream(pa.table({"n": ["a", "b", "c"], "label": ["x", "y", "z"]}))


def plot_frame(spec: dict[str, Any]) -> bytes:
    header = json.dumps(
        {
            "dataset": spec,
            "privacy": {"mode": "public"},
            "tables": [
                {"name": "edges", "length": len(EDGES)},
                {"name": "nodes", "length": len(NODES)},
            ],
        }
    ).encode()
    return struct.pack(">I", len(header)) + header + EDGES + NODES


def _pick(body: Any) -> bool:
    """Deterministically, about half of the generated bodies (so shrinking stays stable)."""
    return zlib.crc32(repr(body).encode()) % 2 == 0


def well_formed(context: schemathesis.HookContext, body: Any) -> Any:
    operation = context.operation
    if operation is None or not _pick(body):
        return body
    op_id = operation.definition.raw.get("operationId")
    path = operation.path
    if op_id == "create_dataset" and isinstance(body, dict):
        return {**body, **BOUND_SPEC}
    if op_id == "plot":
        return plot_frame(BOUND_SPEC)
    if op_id in ("upload_table", "upload_file", "live_upsert", "live_replace"):
        # The {kind} is not known here: the edges table for most, the nodes table otherwise.
        return NODES if "nodes" in path or zlib.crc32(repr(body).encode()) % 3 == 0 else EDGES
    return body


@dataclass
class Figures:
    cases: collections.Counter[str] = field(default_factory=collections.Counter)
    failures: collections.Counter[str] = field(default_factory=collections.Counter)
    server_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    statuses: collections.Counter[tuple[str, int]] = field(default_factory=collections.Counter)
    problems: list[str] = field(default_factory=list)
    stop_reason: str = ""


def run_schemathesis(live: LiveServer, headers: dict[str, str], exclude: tuple[str, ...] = ()) -> Figures:
    config = schemathesis.Config.from_dict(
        {
            "seed": 17,
            "headers": headers,
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "generation": {"max-examples": MAX_EXAMPLES},
            "phases": {"stateful": {"max-steps": MAX_STEPS}},
            "request-timeout": 60,
            "operations": [{"include-operation-id": list(exclude), "enabled": False}] if exclude else [],
        }
    )
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json", config=config)
    schema.hook("map_body")(well_formed)
    figures = Figures()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            phase = event.phase.value
            recorder = event.recorder
            figures.cases[phase] += len(recorder.cases)
            for case_id, interaction in recorder.interactions.items():
                if interaction.response is None:
                    continue
                status = interaction.response.status_code
                if status >= 500:
                    figures.server_errors[phase] += 1
                if phase == "stateful":
                    figures.statuses[(recorder.cases[case_id].value.operation.label, status)] += 1
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status == "failure":
                        figures.failures[phase] += 1
                        case = recorder.cases[case_id].value
                        info = check.failure_info.failure if check.failure_info else ""
                        figures.problems.append(
                            f"[{phase}] {check.name}: {case.operation.label} {case.path_parameters} "
                            f"query={case.query} body={str(case.body)[:200]!r}\n{str(info)[:800]}"
                        )
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            error = getattr(event, "value", None) or getattr(event, "exception", None)
            figures.problems.append(f"[{type(event).__name__}] {getattr(event, 'label', '')}: {error}")
        elif isinstance(event, events.EngineFinished):
            figures.stop_reason = str(event.stop_reason)
    return figures


def publish(title: str, figures: Figures) -> None:
    phases = ["examples", "coverage", "fuzzing", "stateful"]
    lines = table(
        ["phase", "cases", "failures", "5xx"],
        [[p, figures.cases[p], figures.failures[p], figures.server_errors[p]] for p in phases],
    )
    lines.append(
        f"total: {sum(figures.cases.values())} cases, {sum(figures.failures.values())} failures, "
        f"{sum(figures.server_errors.values())} 5xx ({'long' if LONG else 'default'} mode, "
        f"max-examples {MAX_EXAMPLES}, stateful max-steps {MAX_STEPS}; {figures.stop_reason})"
    )
    reached = sorted((label, status, n) for (label, status), n in figures.statuses.items() if status < 300)
    if reached:
        lines.append("stateful phase, successful answers per operation:")
        lines.extend(f"  {label}: {n} x {status}" for label, status, n in reached)
    lines.extend(figures.problems[:20])
    report(title, lines)


def test_schemathesis_anonymous(live: LiveServer) -> None:
    figures = run_schemathesis(live, {})
    publish("Schemathesis over /openapi.json, anonymous", figures)
    assert not figures.problems, "\n\n".join(figures.problems[:10])
    assert sum(figures.server_errors.values()) == 0
    assert figures.cases["coverage"] and figures.cases["fuzzing"] and figures.cases["stateful"]


def test_schemathesis_signed_in(server: Server, live: LiveServer) -> None:
    server.create_user("alice", PASSWORD, email="alice@example.org")
    server.create_user("bob", PASSWORD, email="bob@example.org")
    # revoke-all would end the very token this run signs in with (it is tested in tests/transports).
    figures = run_schemathesis(
        live, {"Authorization": f"Bearer {server.token_for('alice')}"}, exclude=("revoke_all",)
    )
    publish("Schemathesis over /openapi.json, signed in", figures)
    assert not figures.problems, "\n\n".join(figures.problems[:10])
    assert sum(figures.server_errors.values()) == 0
    # The links carried created ids into the operations that take them: the core logic answered.
    # Which of an id's operations a run reaches is chance (the stateful phase picks links at random
    # and the server's ids differ from run to run): one run made 8 organizations and 8 invitations
    # to them, and never read one back by GET /api/v2/orgs/{slug}. So each id's operations count
    # as a group.
    ok = {label for (label, status) in figures.statuses if status < 300}
    for label in ("POST /api/v2/upload/datasets", "POST /api/v2/orgs"):
        assert label in ok, (label, sorted(ok))
    for needs in (
        "/api/v2/upload/datasets/{dataset_id}",
        "/api/v2/datasets/{dataset_id}",
        "/api/v2/orgs/{slug}",
    ):
        assert any(label.split(" ", 1)[1].startswith(needs) for label in ok), (needs, sorted(ok))
