"""Database connectors of the graphport client: each turns a query's result into Arrow tables a
plottable takes. Optional dependencies are imported when used, with an error naming the extra to
install. Connections are held per client session (``ConnectorState``), never shared between clients.
"""
