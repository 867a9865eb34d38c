#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Pcq authors
"""How long after exec the first file lands: pcq --headless against curl.

Called by bench-first-file.sh with a URL served on loopback. For each round, each tool gets a
fresh, empty output folder and private state; the clock starts just before the process is
spawned and stops when inotify reports the file under its final name (created and closed, or
renamed in: pcq's part files, named with a leading dot, do not count). Prints a table of
medians and pcq's ratio to curl."""

import ctypes
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

IN_CLOSE_WRITE = 0x08
IN_MOVED_TO = 0x80

libc = ctypes.CDLL("libc.so.6", use_errno=True)


def first_file_ms(cmd, out, env):
    """Milliseconds from spawning cmd to the first final file in out."""
    fd = libc.inotify_init1(os.O_CLOEXEC)
    if fd < 0 or libc.inotify_add_watch(fd, out.encode(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0:
        sys.exit("bench-first-file: inotify is not available")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    landed = None
    try:
        while landed is None:
            buf = os.read(fd, 4096)
            now = time.monotonic()
            offset = 0
            while offset < len(buf):
                _, _, _, length = struct.unpack_from("iIII", buf, offset)
                name = buf[offset + 16:offset + 16 + length].rstrip(b"\0")
                offset += 16 + length
                if name and not name.startswith(b"."):
                    landed = now
    finally:
        if proc.wait(timeout=60) != 0:
            sys.exit(f"bench-first-file: {cmd[0]} exited with status {proc.returncode}")
        os.close(fd)
    return (landed - start) * 1000


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: bench-first-file.py PCQ URL ROUNDS")
    pcq, url, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    name = url.rsplit("/", 1)[-1]
    work = tempfile.mkdtemp(prefix="pcq-first-file-")
    tools = {
        "pcq": lambda out: [pcq, "--headless", "-o", out, url],
        "curl": lambda out: ["curl", "-s", "-S", "--fail", "-o", os.path.join(out, name), url],
    }
    times = {tool: [] for tool in tools}
    try:
        for _ in range(rounds):
            for tool, make in tools.items():
                home = os.path.join(work, "home")
                out = os.path.join(work, "out")
                shutil.rmtree(home, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
                os.makedirs(out)
                env = dict(os.environ, HOME=home, XDG_STATE_HOME=os.path.join(home, "state"),
                           XDG_CONFIG_HOME=os.path.join(home, "config"),
                           GSETTINGS_BACKEND="memory")
                times[tool].append(first_file_ms(make(out), out, env))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"first file after exec, one URL, {rounds} rounds (ms)")
    print(f"{'tool':6} {'median':>8} {'min':>8} {'max':>8}")
    for tool, values in times.items():
        print(f"{tool:6} {statistics.median(values):8.1f} {min(values):8.1f} {max(values):8.1f}")
    print(f"pcq/curl: x{statistics.median(times['pcq']) / statistics.median(times['curl']):.2f}")


if __name__ == "__main__":
    main()
