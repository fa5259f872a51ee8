"""``graphport.__all__`` is sorted and complete: every public name is a decision (httpx style)."""

from __future__ import annotations

import graphport
import graphport.errors


def public_names(module: object) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("graphport")
    }


def test_all_is_sorted() -> None:
    assert graphport.__all__ == sorted(graphport.__all__)


def test_all_is_complete_and_importable() -> None:
    exported = set(graphport.__all__)
    for name in exported:
        assert hasattr(graphport, name), name
    missing = public_names(graphport) - exported
    assert not missing, f"public names not in graphport.__all__: {sorted(missing)}"


def test_every_error_class_is_exported() -> None:
    assert set(graphport.errors.__all__) <= set(graphport.__all__)


def test_the_seed_api_is_there() -> None:
    for name in ("client", "register", "privacy", "edges", "nodes", "bind", "set_client_for"):
        assert callable(getattr(graphport, name)), name
    for name in ("Client", "AsyncClient", "Plottable", "AsyncPlottable", "Dataset", "Server"):
        assert isinstance(getattr(graphport, name), type), name


def test_client_is_the_factory_function_not_the_subpackage() -> None:
    assert isinstance(graphport.client(), graphport.Client)
