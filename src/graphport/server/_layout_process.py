"""Entry point of a worker process: ``python -m graphport.server._layout_process PARENT_PID LIFELINE_FD``.

A module of its own (not ``_layout_worker``, which the package imports) so that running it with
``-m`` does not execute an already-imported module a second time.
"""

from __future__ import annotations

import sys

from ._layout_worker import serve

if __name__ == "__main__":
    parent, lifeline = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (None, None)
    serve(sys.stdin.buffer, sys.stdout.buffer, parent, lifeline)
