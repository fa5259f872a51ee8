"""Tests mirror the tree (issue #11): ``src/graphport/<pkg>/_name.py`` is tested in
``tests/<pkg>/test_name.py``, or the table below says which tests cover it and why it has no file
of its own (most often: it is one half of a split module, or its behaviour is only meaningful
through a whole flow, such as single sign-on against a real identity provider). The test fails on
a new module without either, on a table entry whose tests are gone, and on an entry that a mirror
file has made stale."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "graphport"

#: module (relative to src/graphport) -> the tests that cover it (files or directories).
COVERED_ELSEWHERE: dict[str, tuple[str, ...]] = {
    "_version.py": ("tests/test_public_api.py",),
    # The CLI: each command is run as a user runs it, through the console script or main().
    "cli/_admin.py": ("tests/cli/test_cli.py", "tests/cli/test_cli_tenancy.py"),
    "cli/_sample.py": ("tests/cli/test_cli.py",),
    "cli/_serve.py": ("tests/cli/test_cli.py", "tests/cli/test_serve_signals.py"),
    "cli/_sso.py": ("tests/sso/test_cli.py",),
    # The client's halves, each tested through the public Client/Plottable it composes.
    "client/_client_base.py": ("tests/client/test_client.py", "tests/client/test_concurrency.py"),
    "client/_client_connectors.py": ("tests/connectors/",),
    "client/_client_shortcuts.py": ("tests/client/test_default.py", "tests/client/test_client.py"),
    "client/_dataset.py": ("tests/client/test_live_dataset.py", "tests/client/test_live.py"),
    "client/_graph_spec.py": ("tests/client/test_official_parity.py", "tests/client/test_plottable.py"),
    "client/_plottable_connectors.py": ("tests/connectors/",),
    "client/_plottable_encodings.py": (
        "tests/client/test_official_parity.py",
        "tests/client/test_plottable.py",
    ),
    "client/_plottable_icons.py": ("tests/client/test_official_parity.py", "tests/client/test_notebooks.py"),
    "client/_plottable_plan.py": ("tests/client/test_plottable.py",),
    "client/_plottable_style.py": ("tests/client/test_official_parity.py", "tests/client/test_plottable.py"),
    "client/_protocol.py": ("tests/client/test_client.py", "tests/sso/test_sso_graphport_client.py"),
    "client/connectors/_common.py": ("tests/connectors/",),
    "client/connectors/_cypher.py": ("tests/connectors/test_cypher.py",),
    "client/connectors/_kusto.py": ("tests/connectors/test_kusto_spanner.py",),
    "client/connectors/_spanner.py": ("tests/connectors/test_kusto_spanner.py",),
    "client/connectors/_sql.py": ("tests/connectors/test_sql.py",),
    # The layout engine's kernels: tested through compute_layout (numba functions, one pipeline).
    "layout/_forceatlas2.py": ("tests/layout/test_engine.py",),
    "layout/_graph.py": ("tests/layout/test_engine.py", "tests/layout/test_packing.py"),
    "layout/_jit.py": ("tests/layout/test_engine.py",),
    "layout/_multilevel.py": ("tests/layout/test_engine.py",),
    "layout/_progress.py": ("tests/layout/test_engine.py",),
    "layout/_quadtree.py": ("tests/layout/test_forces.py",),
    "layout/_small.py": ("tests/layout/test_engine.py",),
    # The server: the facade, and the halves of the dataset and live services.
    "server/_api.py": ("tests/server/test_core.py", "tests/transports/test_authz_matrix.py"),
    "server/_arrow_io.py": ("tests/server/test_ingest.py", "tests/server/test_ingest_attacks.py"),
    "server/_arrow_limits.py": ("tests/server/test_ingest_attacks.py",),
    "server/_build_queue.py": ("tests/server/test_graphs.py",),
    "server/_dataset_describe.py": ("tests/server/test_datasets.py",),
    "server/_dataset_reads.py": ("tests/server/test_datasets.py", "tests/server/test_query_counts.py"),
    "server/_dataset_records.py": ("tests/server/test_datasets.py", "tests/server/test_dataset_uploads.py"),
    "server/_dataset_sharing.py": ("tests/server/test_datasets.py", "tests/transports/test_authz_idor.py"),
    "server/_layout.py": ("tests/layout/test_server_build.py",),
    "server/_layout_compute.py": ("tests/layout/test_server_build.py", "tests/server/test_ingest.py"),
    "server/_layout_jobs.py": ("tests/transports/test_routes_layout.py", "tests/layout/test_server_build.py"),
    "server/_layout_process.py": ("tests/layout/test_server_build.py",),
    "server/_layout_worker.py": ("tests/server/test_pool.py", "tests/server/test_ingest.py"),
    "server/_live_dataset.py": ("tests/server/test_live.py",),
    "server/_live_writes.py": ("tests/server/test_live.py",),
    "server/_live_datasets.py": ("tests/server/test_live.py", "tests/server/test_live_callbacks.py"),
    "server/_live_messages.py": ("tests/server/test_live.py", "tests/transports/test_live_ws.py"),
    "server/_live_store.py": ("tests/server/test_live_log.py", "tests/server/test_recovery.py"),
    # Single sign-on: only meaningful against a real identity provider (tests/sso starts one).
    "server/_sso.py": ("tests/sso/test_sso.py",),
    "server/_sso_config.py": ("tests/sso/test_sso_config.py",),
    "server/_sso_oidc.py": ("tests/sso/test_sso.py",),
    "server/_sso_recheck.py": ("tests/sso/test_sso.py",),
    "server/_sso_users.py": ("tests/sso/test_sso.py",),
    "storage/_bus.py": ("tests/server/test_live_bus.py",),
    "storage/_models.py": ("tests/storage/test_database.py",),
    "storage/_s3.py": ("tests/storage/test_stores.py",),
    "storage/_sso_models.py": ("tests/sso/test_sso_config.py",),
    # The HTTP core and its route handlers: tested over the adapters, as clients reach them.
    "transports/_app.py": ("tests/transports/test_http_limits.py", "tests/transports/test_errors.py"),
    "transports/_openapi_accounts.py": ("tests/transports/test_openapi.py",),
    "transports/_openapi_own.py": ("tests/transports/test_openapi.py",),
    "transports/_openapi_schemas.py": ("tests/transports/test_openapi.py",),
    "transports/_openapi_v3.py": ("tests/transports/test_openapi.py",),
    "transports/_routes.py": ("tests/transports/test_authz_matrix.py",),
    "transports/_routes_accounts.py": (
        "tests/transports/test_authz_matrix.py",
        "tests/server/test_accounts.py",
    ),
    "transports/_routes_live.py": (
        "tests/transports/test_live_ws.py",
        "tests/transports/test_authz_matrix.py",
    ),
    "transports/_routes_pages.py": ("tests/viewer/", "tests/transports/test_http_limits.py"),
    "transports/_routes_sso.py": ("tests/sso/",),
    "transports/_routes_v3.py": ("tests/transports/test_v3_official_client.py",),
    "transports/asgi.py": (
        "tests/transports/test_v3_official_client.py",
        "tests/transports/test_http_limits.py",
    ),
}


def modules() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if path.name == "__init__.py" or relative.startswith(("storage/migrations/", "_samples/")):
            continue
        found.append(relative)
    return found


def mirror(module: str) -> Path:
    package, _, name = module.rpartition("/")
    return ROOT / "tests" / package / f"test_{name.removesuffix('.py').lstrip('_')}.py"


def test_every_module_has_its_test_file_or_says_which_tests_cover_it() -> None:
    missing = [m for m in modules() if not mirror(m).exists() and m not in COVERED_ELSEWHERE]
    assert not missing, (
        f"add tests/<package>/test_<name>.py, or an entry in COVERED_ELSEWHERE, for: {missing}"
    )


def test_the_table_names_tests_that_exist_for_modules_that_exist() -> None:
    present = set(modules())
    gone = [m for m in COVERED_ELSEWHERE if m not in present]
    assert not gone, f"modules no longer in src/graphport: {gone}"
    missing = [(m, p) for m, paths in COVERED_ELSEWHERE.items() for p in paths if not (ROOT / p).exists()]
    assert not missing, f"tests named in COVERED_ELSEWHERE that do not exist: {missing}"
    stale = [m for m in COVERED_ELSEWHERE if mirror(m).exists()]
    assert not stale, f"these modules have a mirror file now; drop their table entry: {stale}"
