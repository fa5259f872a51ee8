"""g.sql() for real on SQLite, DuckDB and PostgreSQL; the password of a URL never shows in a repr or
an error; two clients with different PostgreSQL roles, used from two threads at once, each see only
their own rows."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import graphport
from graphport import ConfigError, GraphportError


def fill(engine: sa.Engine) -> None:
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE flows (s VARCHAR, d VARCHAR, w DOUBLE PRECISION, seen DATE)"))
        c.execute(
            sa.text(
                "INSERT INTO flows VALUES ('a','b',1.5,'2024-01-02'), ('b','c',2.5,NULL), ('c','a',3.5,'2024-01-03')"
            )
        )
        c.execute(sa.text("CREATE TABLE hosts (id VARCHAR, kind VARCHAR)"))
        c.execute(sa.text("INSERT INTO hosts VALUES ('a','mac'), ('b','linux'), ('c','mac')"))


def check_queries(g: graphport.Client, engine_or_url: Any, dates: bool = True) -> None:
    p = g.sql(
        "SELECT s, d, w, seen FROM flows WHERE w > :w ORDER BY w",
        engine_or_url,
        {"w": 2.0},
        source="s",
        destination="d",
    )
    edges = p.edges_table
    assert edges is not None and edges.column_names == ["s", "d", "w", "seen"]
    assert edges.to_pydict()["s"] == ["b", "c"] and edges.column("w").to_pylist() == [2.5, 3.5]
    assert edges.column("seen").null_count == 1
    if dates:  # SQLite keeps dates as text
        assert str(edges.column("seen").type) == "date32[day]"
    assert p.bindings == {"source": "s", "destination": "d"}
    both = p.sql("SELECT id, kind FROM hosts ORDER BY id", engine_or_url, as_nodes=True, node="id")
    assert both.nodes_table is not None and both.nodes_table.to_pydict() == {
        "id": ["a", "b", "c"],
        "kind": ["mac", "linux", "mac"],
    }
    assert both.edges_table is edges  # the edges stay
    with pytest.raises(GraphportError) as info:
        g.sql("SELECT nope FROM flows", engine_or_url)
    assert info.value.code == "connector_query_failed" and "nope" in str(info.value)


def test_sqlite_by_url_and_by_engine(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flows.db'}"
    engine = sa.create_engine(url)
    fill(engine)
    with graphport.client() as g:
        check_queries(g, url, dates=False)
        check_queries(g, engine, dates=False)
        with engine.connect() as connection:
            assert g.sql("SELECT count(*) AS n FROM flows", connection).edges_table.to_pydict() == {"n": [3]}  # type: ignore[union-attr]
        assert repr(g.session.connectors) == "<ConnectorState sql_engines=1 graph_db=False>"
    engine.dispose()


def test_duckdb_through_duckdb_engine(tmp_path: Path) -> None:
    pytest.importorskip("duckdb_engine")
    url = f"duckdb:///{tmp_path / 'flows.duckdb'}"
    engine = sa.create_engine(url)
    fill(engine)
    engine.dispose()  # DuckDB allows one writer process-wide per file; the client opens its own
    with graphport.client() as g:
        check_queries(g, url)


def test_bad_arguments_and_missing_drivers_are_config_errors() -> None:
    g = graphport.client()
    with pytest.raises(ConfigError, match="SQLAlchemy Engine or Connection"):
        g.sql("SELECT 1", 42)
    with pytest.raises(ConfigError, match="no SQLAlchemy dialect") as info:
        g.sql("SELECT 1", "mysql+notadriver://u:hunter22@h/db")
    assert "hunter22" not in str(info.value) and info.value.__cause__ is None
    with pytest.raises(GraphportError) as bad:
        g.sql("SELECT 1", "not a url at all with hunter22")
    assert "hunter22" not in str(bad.value)


# -- PostgreSQL: two roles with different grants ------------------------------------------------------


def _pg_url() -> str:
    url = os.environ.get("GRAPHPORT_TEST_PG_URL")
    if not url:
        pytest.skip("GRAPHPORT_TEST_PG_URL is not set (source the scale stack's env file)")
    return sa.engine.make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@pytest.fixture
def pg_roles() -> Iterator[dict[str, Any]]:
    """A fresh database with table ``flows`` under row-level security (each role sees the rows it
    owns) and table ``audit`` that only role A may read; two login roles with their own passwords.
    Dropped afterwards."""
    admin_url = _pg_url()
    tag = secrets.token_hex(4)
    database, roles = f"gp_h6_{tag}", {"a": f"gp_h6_a_{tag}", "b": f"gp_h6_b_{tag}"}
    passwords = {k: secrets.token_urlsafe(12) for k in roles}
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        for key, role in roles.items():
            c.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD '{passwords[key]}'"))
        c.execute(sa.text(f"CREATE DATABASE {database}"))
    db_url = sa.engine.make_url(admin_url).set(database=database)
    owner = sa.create_engine(db_url)
    with owner.begin() as c:
        c.execute(sa.text("CREATE TABLE flows (owner TEXT, s TEXT, d TEXT)"))
        rows = [(role, f"{key}{i}", f"{key}{i + 1}") for key, role in roles.items() for i in range(50)]
        c.execute(
            sa.text("INSERT INTO flows VALUES (:o, :s, :d)"), [{"o": o, "s": s, "d": d} for o, s, d in rows]
        )
        c.execute(sa.text("ALTER TABLE flows ENABLE ROW LEVEL SECURITY"))
        c.execute(sa.text("CREATE POLICY own_rows ON flows USING (owner = current_user)"))
        c.execute(sa.text("CREATE TABLE audit (note TEXT)"))
        c.execute(sa.text("INSERT INTO audit VALUES ('for a only')"))
        for role in roles.values():
            c.execute(sa.text(f"GRANT SELECT ON flows TO {role}"))
        c.execute(sa.text(f"GRANT SELECT ON audit TO {roles['a']}"))
    owner.dispose()
    urls = {
        k: db_url.set(username=roles[k], password=passwords[k]).render_as_string(hide_password=False)
        for k in roles
    }
    try:
        yield {"urls": urls, "roles": roles, "passwords": passwords}
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            for role in roles.values():
                c.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_postgresql_queries(pg_roles: dict[str, Any]) -> None:
    with graphport.client() as g:
        p = g.sql(
            "SELECT s, d FROM flows WHERE s = :s",
            pg_roles["urls"]["a"],
            {"s": "a3"},
            source="s",
            destination="d",
        )
        assert p.edges_table is not None and p.edges_table.to_pydict() == {"s": ["a3"], "d": ["a4"]}


def test_two_clients_with_different_roles_in_two_threads_see_only_their_rows(
    pg_roles: dict[str, Any],
) -> None:
    clients = {k: graphport.client() for k in ("a", "b")}
    barrier = threading.Barrier(2)
    seen: dict[str, list[set[str]]] = {"a": [], "b": []}
    failures: list[BaseException] = []

    def work(key: str) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(20):
                p = clients[key].sql(
                    "SELECT owner, s, d FROM flows", pg_roles["urls"][key], source="s", destination="d"
                )
                assert p.edges_table is not None
                seen[key].append(set(p.edges_table.column("owner").to_pylist()))
                assert p.edges_table.num_rows == 50
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures, failures
    assert seen["a"] == [{pg_roles["roles"]["a"]}] * 20
    assert seen["b"] == [{pg_roles["roles"]["b"]}] * 20
    # different grants: a reads audit, b is refused, and the refusal holds no password
    assert clients["a"].sql("SELECT note FROM audit", pg_roles["urls"]["a"]).edges_table.num_rows == 1  # type: ignore[union-attr]
    with pytest.raises(GraphportError) as info:
        clients["b"].sql("SELECT note FROM audit", pg_roles["urls"]["b"])
    assert "permission denied" in str(info.value).lower()
    # no password in any repr, error, or the other client's state
    for key, g in clients.items():
        shown = " ".join(
            [repr(g), repr(g.session), repr(g.session.connectors), repr(g.bind()), str(info.value)]
        )
        for password in pg_roles["passwords"].values():
            assert password not in shown
        other = "b" if key == "a" else "a"
        assert pg_roles["urls"][other] not in g.session.connectors._engines
        g.close()


def test_a_failed_connection_does_not_show_the_password() -> None:
    url = "postgresql+psycopg://someone:Wr0ngSecretXyz@127.0.0.1:1/nowhere"
    with graphport.client() as g, pytest.raises(GraphportError) as info:
        g.sql("SELECT 1", url)
    assert info.value.code == "connector_query_failed"
    assert "Wr0ngSecretXyz" not in str(info.value) and "Wr0ngSecretXyz" not in repr(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
