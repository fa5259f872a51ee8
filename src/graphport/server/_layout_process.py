"""A worker process by hand: ``python -m graphport.server._layout_process`` (requests on stdin).

The server starts its workers with ``_layout_worker.BOOTSTRAP`` instead, which arranges for the
worker to die with the server before graphport is even imported. A module of its own (not
``_layout_worker``, which the package imports) so that running it with ``-m`` does not execute an
already-imported module a second time.
"""

from __future__ import annotations

import sys

from ._layout_worker import serve

if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
