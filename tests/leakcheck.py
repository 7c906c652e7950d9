"""What a test leaves behind in this process: listening sockets, non-daemon threads, child processes.

Read from /proc (Linux). ``tests/conftest.py`` checks every test with these.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def listening_sockets() -> set[str]:
    """``host:port`` of every TCP socket this process has listening (from /proc)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.add(f"{fields[1]} (inode {fields[9]})")
    return found


def child_processes() -> set[str]:
    """``pid command`` of every live child process of this process."""
    found = set()
    for tid in os.listdir("/proc/self/task"):
        try:
            pids = Path(f"/proc/self/task/{tid}/children").read_text().split()
        except OSError:
            continue
        for pid in pids:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":  # a zombie is gone, only not yet reaped
                found.add(f"{pid} {cmd.strip()}")
    return found


def non_daemon_threads() -> set[str]:
    """Names of live non-daemon threads other than the main thread."""
    return {f"{t.name} ({t.ident})" for t in threading.enumerate()
            if not t.daemon and t is not threading.main_thread() and t.is_alive()}
