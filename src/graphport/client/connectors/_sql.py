"""SQL through SQLAlchemy: any database with a SQLAlchemy dialect (tested on SQLite, DuckDB through
``duckdb-engine``, and PostgreSQL through psycopg).

Why SQLAlchemy and not each database's own driver: one code path for every database, URLs users
already have, connection pooling, and bound parameters (``:name``) the same everywhere. Results
become an Arrow table column by column from the rows (``pyarrow.array`` infers the types: integers,
floats, strings, booleans, decimals, dates and timestamps; ``NULL`` stays null).

Credentials: a URL's password lives only in the session's engine cache; engines' reprs mask it
(SQLAlchemy shows ``***``), and every error raised here is rebuilt with the password scrubbed and the
driver's exception not chained.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from ...errors import ConfigError
from ._common import ConnectorState, fail, require


def _password(engine_or_url: Any) -> str | None:
    url = getattr(engine_or_url, "url", None)
    if url is not None:
        value = getattr(url, "password", None)
        return str(value) if value else None
    if isinstance(engine_or_url, str):
        sa = require("sqlalchemy", "sql", "sql()")
        try:
            value = sa.engine.make_url(engine_or_url).password
        except Exception:
            return None
        return str(value) if value else None
    return None


def _make_engine(url: str) -> Any:
    sa = require("sqlalchemy", "sql", "sql()")
    password = _password(url)
    try:
        return sa.create_engine(url)
    except sa.exc.NoSuchModuleError:
        scheme = url.split(":", 1)[0]
        raise ConfigError(
            f"sql(): no SQLAlchemy dialect is installed for {scheme!r} URLs; for DuckDB install "
            "'graphport[duckdb]', for PostgreSQL 'graphport[postgres]'.",
            code="connector_missing_extra",
        ) from None
    except ImportError as exc:
        raise ConfigError(
            f"sql(): the driver for this URL is not installed ({exc.name or 'unknown module'}); for "
            "DuckDB install 'graphport[duckdb]', for PostgreSQL 'graphport[postgres]'.",
            code="connector_missing_extra",
        ) from None
    except Exception as exc:
        fail("sql(): opening the database URL", exc, [password, url])


def rows_to_table(columns: list[str], rows: list[Any]) -> pa.Table:
    """An Arrow table from result rows (tuples), one column per name."""
    arrays = {}
    for i, name in enumerate(columns):
        values = [row[i] for row in rows]
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays[name] = pa.array([None if v is None else str(v) for v in values], pa.large_string())
    return pa.table(arrays) if arrays else pa.table({})


def run_sql(
    state: ConnectorState, query: Any, engine_or_url: Any, params: Mapping[str, Any] | None = None
) -> pa.Table:
    """Run ``query`` (text with ``:name`` parameters, or a SQLAlchemy statement) and return its rows.

    ``engine_or_url`` is a SQLAlchemy ``Engine`` or ``Connection`` (used as given) or a URL string
    (an engine made once per client session and reused).

    Example::

        table = run_sql(state, "SELECT s, d FROM flows WHERE w > :w", "sqlite:///flows.db", {"w": 2})
    """
    sa = require("sqlalchemy", "sql", "sql()")
    password = _password(engine_or_url)
    secrets = [password, engine_or_url if isinstance(engine_or_url, str) else None]
    if isinstance(engine_or_url, str):
        engine = state.engine(engine_or_url, _make_engine)
    elif isinstance(engine_or_url, sa.engine.Engine | sa.engine.Connection):
        engine = engine_or_url
    else:
        raise ConfigError(
            "sql(query, engine_or_url): give a SQLAlchemy Engine or Connection, or a database URL such as "
            f"'postgresql+psycopg://user@host/db'; got a {type(engine_or_url).__name__}."
        )
    statement = sa.text(query) if isinstance(query, str) else query
    try:
        if isinstance(engine, sa.engine.Connection):
            result = engine.execute(statement, dict(params or {}))
            columns, rows = list(result.keys()), result.fetchall()
        else:
            with engine.connect() as connection:
                result = connection.execute(statement, dict(params or {}))
                columns, rows = list(result.keys()), result.fetchall()
    except sa.exc.SQLAlchemyError as exc:
        fail("sql(): the query", getattr(exc, "orig", None) or exc, secrets)
    return rows_to_table(columns, rows)
