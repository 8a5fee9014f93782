"""A crawl subprocess must not outlive the scheduler or worker that started it.

If the parent is killed (SIGKILL, OOM), an orphaned crawl would go on writing while the queue hands the same
source to another worker after the lease. On Linux the kernel kills the child when its parent dies
(PR_SET_PDEATHSIG); elsewhere the crawl only checks once at start.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel for SIGKILL when the parent dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The parent may have died before prctl took effect: then we were re-parented already.
    if os.getppid() != parent_pid:
        raise SystemExit(f"parent process {parent_pid} is gone; not crawling")
