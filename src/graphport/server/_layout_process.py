"""Entry point of a layout worker process: ``python -m graphport.server._layout_process``.

A module of its own (not ``_layout_worker``, which the package imports) so that running it with
``-m`` does not execute an already-imported module a second time.
"""

from __future__ import annotations

import sys

from ._layout_worker import serve

if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
