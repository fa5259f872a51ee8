"""Thin adapters over :class:`graphport.server.Server`, one web framework per module."""
