"""Datasets whose stored-table reads see live changes, and whose deletes and uploads drop live state.

A subclass of :class:`~._datasets.Datasets`, so the dataset modules stay unaware of live tables; it
meets the live hub through the small :class:`LiveState` protocol (the hub sits above it).
"""

from __future__ import annotations

from typing import Any, Protocol

from ._dataset_uploads import Sent
from ._datasets import Datasets
from ._principal import Principal


class LiveState(Protocol):
    """What the datasets need of the live hub."""

    def flush(self, dataset_id: str) -> None: ...
    def drop(self, dataset_id: str, reason: str = "deleted") -> None: ...
    def revalidate(self, *, user_id: int | None = None, dataset_id: str | None = None) -> int: ...


class LiveAwareDatasets(Datasets):
    """:class:`Datasets` whose stored-table reads see live changes, and whose deletes and uploads
    drop live state."""

    live: LiveState | None = None

    def table_key(self, principal: Principal | None, dataset_id: str, kind: str) -> str:
        if self.live is not None:
            self.live.flush(dataset_id)  # a no-op unless the dataset is live and changed
        return super().table_key(principal, dataset_id, kind)

    def delete(self, principal: Principal, dataset_id: str) -> None:
        super().delete(principal, dataset_id)
        if self.live is not None:
            self.live.drop(dataset_id)

    def share(self, principal: Principal, dataset_id: str, *args: Any, **kwargs: Any) -> Any:
        result = super().share(principal, dataset_id, *args, **kwargs)
        if self.live is not None:
            self.live.revalidate(dataset_id=dataset_id)  # close subscribers who lost their right now
        return result

    def upload_table(
        self,
        principal: Principal,
        dataset_id: str,
        kind: str,
        body: Sent,
        expected_version: int | None = None,
    ) -> int:
        rows = super().upload_table(principal, dataset_id, kind, body, expected_version)  # type: ignore[arg-type]
        if self.live is not None:
            self.live.drop(dataset_id, reason="replaced")
        return rows
