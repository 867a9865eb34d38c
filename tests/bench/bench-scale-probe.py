#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Pcq authors
"""Helper of bench-scale.sh: runs one command under /usr/bin/time -v and,
while it runs, watches pcq's store to see when every job is accepted.

    bench-scale-probe.py run [--db FILE --want N] [--kill-after-accept]
                             [--timeout S] --time-file F --stdout F --stderr F -- CMD...
    bench-scale-probe.py hang-list N FILE   # write N URLs of a server that never
                                            # answers (FILE appears when complete),
                                            # then keep listening until killed
                                            # (at most an hour)

"run" prints one line of JSON: accept_s (null if not seen), wall_s, status,
rss_kib, cpu_s (user + system), rows.

How acceptance is seen: pcq gives job ids 1..N in the order of the file and
the store thread commits them in that order, batch by batch, each batch one
transaction. So once a read-only connection sees max(id) = N, all N jobs are
committed. The store is polled every 2 ms; the query is an index lookup.
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

POLL_S = 0.002


def read_time_v(path):
    """Peak RSS (KiB) and CPU time (user + system, s) from time -v's report."""
    rss_kib = None
    cpu_s = None
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.strip().rpartition(": ")
                if key == "Maximum resident set size (kbytes)":
                    rss_kib = int(value)
                elif key in ("User time (seconds)", "System time (seconds)"):
                    cpu_s = (cpu_s or 0.0) + float(value)
    except (OSError, ValueError):
        pass
    return rss_kib, cpu_s


def max_id(con):
    try:
        row = con.execute("SELECT max(id) FROM jobs").fetchone()
        return row[0] or 0
    except sqlite3.Error:
        return 0


def open_db(path):
    if not os.path.exists(path):
        return None
    try:
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=1)
        con.execute("SELECT 1 FROM jobs LIMIT 1")
        return con
    except sqlite3.Error:
        return None


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def kill_child(pidfile):
    try:
        with open(pidfile) as f:
            os.kill(int(f.read().strip()), signal.SIGKILL)
    except (OSError, ValueError):
        pass


def run(argv):
    opts = {"db": None, "want": 0, "kill": False, "timeout": 300.0}
    i = 0
    while argv[i] != "--":
        a = argv[i]
        if a == "--db":
            opts["db"] = argv[i + 1]; i += 2
        elif a == "--want":
            opts["want"] = int(argv[i + 1]); i += 2
        elif a == "--kill-after-accept":
            opts["kill"] = True; i += 1
        elif a == "--timeout":
            opts["timeout"] = float(argv[i + 1]); i += 2
        elif a in ("--time-file", "--stdout", "--stderr"):
            opts[a[2:]] = argv[i + 1]; i += 2
        else:
            sys.exit("bench-scale-probe: unknown option %s" % a)
    cmd = argv[i + 1:]

    fd, pidfile = tempfile.mkstemp(prefix="pcq-scale-pid.")
    os.close(fd)
    # sh records its pid, then becomes the command: the pid to kill is the
    # command's, never time's.
    full = ["/usr/bin/time", "-v", "-o", opts["time-file"],
            "sh", "-c", 'echo $$ >"$0"; exec "$@"', pidfile] + cmd

    out = open(opts["stdout"], "wb")
    err = open(opts["stderr"], "wb")
    con = None
    accept_s = None
    status = None
    t0 = time.monotonic()
    # Its own process group: a timeout or our own end takes everything with it.
    proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                            start_new_session=True)
    deadline = t0 + opts["timeout"]

    def stop(signum, frame):
        kill_group(proc)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    while True:
        rc = proc.poll()
        now = time.monotonic()
        if opts["db"] and accept_s is None:
            if con is None:
                con = open_db(opts["db"])
            if con is not None and max_id(con) >= opts["want"]:
                accept_s = now - t0
                if opts["kill"]:
                    kill_child(pidfile)
                    proc.wait()
                    status = "killed after accept"
                    break
        if rc is not None:
            status = "exit %d" % rc
            break
        if now > deadline:
            kill_group(proc)
            proc.wait()
            status = "timeout"
            break
        time.sleep(POLL_S)
    wall_s = time.monotonic() - t0

    rows = None
    if opts["db"]:
        con = con or open_db(opts["db"])
        if con is not None:
            try:
                rows = con.execute("SELECT count(*) FROM jobs").fetchone()[0]
            except sqlite3.Error:
                pass
            con.close()

    os.unlink(pidfile)
    rss_kib, cpu_s = read_time_v(opts["time-file"])
    print(json.dumps({"accept_s": accept_s, "wall_s": wall_s, "status": status,
                      "rss_kib": rss_kib, "cpu_s": cpu_s, "rows": rows}))


def hang_list(n, path):
    # Listens, never accepts: connections complete in the kernel's backlog
    # and requests wait for an answer that never comes.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    port = s.getsockname()[1]
    with open(path + ".tmp", "w") as f:
        for k in range(n):
            f.write("http://127.0.0.1:%d/s/f-%06d.bin\n" % (port, k))
    os.rename(path + ".tmp", path)
    time.sleep(3600)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "run":
        run(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "hang-list":
        hang_list(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
