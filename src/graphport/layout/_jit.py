"""numba's compiler behind a typed decorator (the one place this package touches numba).

Why numba: the hot loops (Barnes-Hut tree, forces, coarsening) are plain loops over arrays; numba
compiles them to machine code and runs ``prange`` loops on every core, with no C toolchain at
install time (it ships wheels). ``cache=True`` writes the compiled code next to the sources
(``__pycache__``), so a fresh worker process loads it in well under a second instead of
recompiling (several seconds; ``bench/layout.py`` prints both figures).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])

#: ``numba.prange`` (a ``range`` that numba splits over threads inside ``parallel`` functions).
prange: type[range] = numba.prange


#: Held around every call of a ``parallel`` function: numba's default thread pool (workqueue)
#: aborts the process when two threads launch parallel work at once (graphport lays out from
#: several server threads), so parallel layouts take turns; serial ones never wait.
parallel_lock = threading.Lock()


def jit(*, parallel: bool = False, fastmath: bool = False) -> Callable[[F], F]:
    """Compile with numba (nopython, cached on disk); ``parallel`` turns ``prange`` on;
    ``fastmath`` lets a sum be reordered so the loop runs on SIMD lanes (the order is fixed at
    compile time, so results stay the same from run to run)."""
    flags = {"reassoc", "contract"} if fastmath else set()
    return cast(Callable[[F], F], numba.njit(cache=True, parallel=parallel, nogil=True, fastmath=flags))


def threads() -> int:
    """How many threads numba's parallel loops use (the cores, unless ``NUMBA_NUM_THREADS`` says less)."""
    return int(numba.get_num_threads())
