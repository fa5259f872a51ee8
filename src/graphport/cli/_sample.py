"""The sample graph of ``serve --sample`` and ``demo``: Les Misérables character co-appearances."""

from __future__ import annotations

import csv
import io
import os
import secrets
from importlib import resources

import pyarrow as pa

from .. import Server


def sample_table() -> pa.Table:
    text = resources.files("graphport._samples").joinpath("lesmiserables.csv").read_bytes().decode("utf-8")
    # The file keeps its original old-Mac CR line endings; splitlines handles CR, LF and CRLF.
    rows = list(csv.DictReader(io.StringIO("\n".join(text.splitlines()))))
    return pa.table(
        {
            "source": [r["source"] for r in rows],
            "target": [r["target"] for r in rows],
            "value": [int(r["value"]) for r in rows],
        }
    )


def ensure_sample(server: Server, base: str) -> tuple[str, str, str]:
    """A demo user (password kept in DATA/demo-password, mode 0600) and a public sample dataset."""
    username = "demo"
    password_file = server.data / "demo-password"
    if server.find_user(username) is None:
        password = secrets.token_urlsafe(9)
        server.create_user(username, password)
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password)
    password = (
        password_file.read_text().strip()
        if password_file.exists()
        else "(set with graphport user set-password demo)"
    )
    principal = server.require_user(username)
    existing = [d for d in server.list_datasets(principal) if d["name"] == "Les Misérables"]
    if existing:
        dataset_id = existing[0]["id"]
    else:
        sink = pa.BufferOutputStream()
        table = sample_table()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        spec = {
            "name": "Les Misérables",
            "description": "Character co-appearances in Victor Hugo's novel (Knuth)",
            "edge_encodings": {
                "bindings": {"source": "source", "destination": "target", "edge_weight": "value"}
            },
            "node_encodings": {"bindings": {}},
            "metadata": {"agent": "graphport-demo"},
        }
        dataset_id = server.plot(principal, spec, sink.getvalue(), None, {"mode": "public"})
    return username, password, f"{base}/graph/graph.html?dataset={dataset_id}"
