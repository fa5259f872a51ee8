"""A client's database configurations, kept in its session (``ClientSession.connectors``) and never
shared with another client: ``set_bolt_driver``, ``configure_kusto``/``kusto_from_client``/
``kusto_close``, ``configure_spanner``/``spanner_from_client``/``spanner_close`` (the reference
client's names). Queries run through plottables (``g.kql``, ``g.spanner_gql`` ... also on the client,
see ``_client_shortcuts``)."""

from __future__ import annotations

from typing import Any, Self

from ._session import ClientSession
from .connectors import KustoConfig, KustoConnection, SpannerConfig, SpannerConnection


class ConnectorSettings:
    """Database configuration methods of a client."""

    _session: ClientSession

    def set_bolt_driver(self, driver: Any) -> None:
        """Set this client's graph database for ``cypher()`` (a neo4j driver, a ``{"uri", "auth"}``
        dict, or a ``kuzu.Connection``).

        Example::

            g.set_bolt_driver(neo4j.GraphDatabase.driver("bolt://db:7687", auth=("neo4j", "pw")))
        """
        self._session.connectors.graph_db = driver

    def configure_kusto(
        self,
        cluster: str,
        database: str = "NetDefaultDB",
        client_id: str | None = None,
        client_secret: str | None = None,
        tenant_id: str | None = None,
    ) -> Self:
        """Query this Kusto cluster and database from this client: as a service principal when
        ``client_id``, ``client_secret`` and ``tenant_id`` are given, else by device sign-in. The SDK
        client is made on the first query.

        Example::

            g.configure_kusto("https://help.kusto.windows.net", "Samples", client_id=..., client_secret=..., tenant_id=...)
        """
        self.kusto_close()
        config = KustoConfig(cluster, database, client_id, client_secret, tenant_id)
        self._session.connectors.kusto = KustoConnection(database, config=config)
        return self

    def kusto_from_client(self, client: Any, database: str = "NetDefaultDB") -> Self:
        """Query through an ``azure.kusto.data.KustoClient`` you made (it stays yours to close).

        Example::

            g.kusto_from_client(KustoClient(kcsb), "Samples")
        """
        self.kusto_close()
        self._session.connectors.kusto = KustoConnection(database, client=client)
        return self

    def kusto_close(self) -> None:
        """Close the Kusto client made by ``configure_kusto`` and forget the configuration."""
        handle, self._session.connectors.kusto = self._session.connectors.kusto, None
        if handle is not None:
            handle.close()

    def configure_spanner(
        self,
        instance_id: str,
        database_id: str,
        project_id: str | None = None,
        credentials_file: str | None = None,
    ) -> Self:
        """Query this Spanner database from this client (connected on the first query).

        Example::

            g.configure_spanner("my-instance", "my-db", project_id="my-project")
        """
        self.spanner_close()
        config = SpannerConfig(instance_id, database_id, project_id, credentials_file)
        self._session.connectors.spanner = SpannerConnection(config=config)
        return self

    def spanner_from_client(self, client: Any) -> Self:
        """Query through a Spanner DB-API connection you made (it stays yours to close).

        Example::

            g.spanner_from_client(google.cloud.spanner_dbapi.connect("inst", "db"))
        """
        self.spanner_close()
        self._session.connectors.spanner = SpannerConnection(connection=client)
        return self

    def spanner_close(self) -> None:
        """Close the Spanner connection made by ``configure_spanner`` and forget the configuration."""
        handle, self._session.connectors.spanner = self._session.connectors.spanner, None
        if handle is not None:
            handle.close()
