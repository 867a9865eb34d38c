#!/usr/bin/python3
# Copyright 2026 The Pcq authors
#
# SPDX-License-Identifier: GPL-3.0-or-later
"""The window as a screen reader sees it: the AT-SPI tree of the real
window (pcq-window), with a done, a failed and a running task served over
loopback.

Runs on a session bus of its own (and so on an accessibility bus of its
own, which that bus starts on demand), with private folders; it needs a
display (xvfb-run). Prints TAP. Usage: test-a11y.py PCQ_WINDOW_BINARY
"""

import http.server
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

DEADLINE_S = 150


def tap(ok, text):
    print(("ok" if ok else "not ok") + " - " + text, flush=True)
    return ok


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class Handler(http.server.BaseHTTPRequestHandler):
    """/NAME?size=N: N bytes; /slow/NAME: 64 kB a tenth of a second
    until the client goes (the test ends it) or ten minutes have passed,
    so that it is running whenever the tree is read; anything else: 404."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path.startswith("/slow/"):
            chunks = 6000
            self.send_response(200)
            self.send_header("Content-Length", str(chunks * 65536))
            self.end_headers()
            try:
                for _ in range(chunks):
                    self.wfile.write(b"x" * 65536)
                    self.wfile.flush()
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        if query.startswith("size="):
            body = b"y" * int(query[5:])
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_error(404)


def start_bus(env):
    """A session bus of our own: its address, and its pid to end it."""
    out = subprocess.check_output(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        env=env, text=True)
    address, pid = out.split()[:2]
    return address, int(pid)


def walk(node, depth=0):
    """Every accessible under node, with its depth. The window lives on
    while it is read (toasts come and go, rows are recycled): an object
    gone meanwhile is skipped."""
    yield node, depth
    try:
        count = node.childCount
    except Exception:
        return
    for i in range(count):
        try:
            child = node.getChildAtIndex(i)
        except Exception:
            continue
        if child is not None:
            yield from walk(child, depth + 1)


def alive(nodes, test):
    """The nodes that pass test, leaving out objects gone meanwhile."""
    found = []
    for n, _ in nodes:
        try:
            if test(n):
                found.append(n)
        except Exception:
            pass
    return found


def safe(get, default=None):
    try:
        return get()
    except Exception:
        return default


def find_app(pyatspi, pid):
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        try:
            if app is not None and app.get_process_id() == pid:
                return app
        except Exception:
            pass
    return None


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="pcq-a11y-")
    env = dict(os.environ)
    for name in ("GTK_A11Y", "NO_AT_BRIDGE", "DBUS_SESSION_BUS_ADDRESS",
                 "AT_SPI_BUS_ADDRESS"):
        env.pop(name, None)
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
                 "XDG_STATE_HOME", "XDG_RUNTIME_DIR"):
        path = os.path.join(tmp, name.lower())
        os.makedirs(path, mode=0o700)
        env[name] = path
    env["GSETTINGS_BACKEND"] = "memory"
    env["GIO_USE_PROXY_RESOLVER"] = "dummy"
    env["LANGUAGE"] = "C"
    env["LC_ALL"] = "C.UTF-8"
    env["SECRET_BACKEND"] = "file"
    env["SECRET_FILE_TEST_PATH"] = os.path.join(tmp, "keyring")
    env["SECRET_FILE_TEST_PASSWORD"] = "test"

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]

    address, bus_pid = start_bus(env)
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    os.environ.clear()
    os.environ.update(env)
    app_proc = None
    ok = True
    try:
        import gi
        gi.require_version("Atspi", "2.0")
        import pyatspi  # connects to the bus of os.environ

        app_proc = subprocess.Popen(
            [binary, base + "/done.txt?size=100", base + "/missing.txt",
             base + "/slow/running.bin"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + DEADLINE_S
        nodes = []
        while time.monotonic() < deadline:
            app = find_app(pyatspi, app_proc.pid)
            if app is not None:
                nodes = list(walk(app))
                names = [safe(lambda: n.name, "") or "" for n, _ in nodes]
                if (any("done.txt, Done" in x for x in names)
                        and any("missing.txt, Failed" in x for x in names)
                        and any("running.bin, Downloading" in x for x in names)):
                    break
            if app_proc.poll() is not None:
                break
            time.sleep(0.2)
        print("1..6", flush=True)
        if not tap(bool(nodes), "the window is on the accessibility bus"):
            sys.stderr.write(app_proc.stderr.read().decode(errors="replace")
                             if app_proc.poll() is not None else "")
            return 1

        roles = pyatspi
        nodes = list(walk(app))
        buttons = alive(nodes, lambda n: n.getRole() in (roles.ROLE_PUSH_BUTTON,
                                                         roles.ROLE_TOGGLE_BUTTON))
        unnamed = [n for n in buttons if not (safe(lambda: n.name, "x") or "").strip()]
        ok &= tap(bool(buttons) and not unnamed,
                  "every button has a name (%d buttons, unnamed: %d)"
                  % (len(buttons), len(unnamed)))

        items = alive(nodes, lambda n: n.getRole() == roles.ROLE_LIST_ITEM)
        item_names = [safe(lambda: n.name, "") or "" for n in items]
        ok &= tap(any(x.startswith("done.txt, Done") for x in item_names)
                  and any(x.startswith("missing.txt, Failed, Server answered 404")
                          for x in item_names)
                  and any(x.startswith("running.bin, Downloading, ") and x.endswith(" %")
                          for x in item_names),
                  "each row says name, state and progress or error: %s" % item_names)

        bars = alive(nodes, lambda n: n.getRole() == roles.ROLE_PROGRESS_BAR)
        bar_names = [safe(lambda: n.name, "") for n in bars]
        ok &= tap(bool(bars) and all((x or "").strip() for x in bar_names),
                  "progress bars are named: %s" % bar_names)

        # The description follows the queue at most every five seconds.
        described = []
        while time.monotonic() < deadline:
            lists = alive(list(walk(app)),
                          lambda n: n.name == "Tasks"
                          and n.getRole() in (roles.ROLE_LIST, roles.ROLE_LIST_BOX,
                                              roles.ROLE_TABLE, roles.ROLE_TREE,
                                              roles.ROLE_TREE_TABLE))
            described = [safe(lambda: n.description, "") for n in lists]
            if any("1 running · 1 finished · 1 failed" in (d or "") for d in described):
                break
            time.sleep(0.2)
        ok &= tap(any("1 running · 1 finished · 1 failed" in (d or "") for d in described),
                  "the task list describes the queue: %s" % described)

        nodes = list(walk(app))
        in_rows = []
        for item in alive(nodes, lambda n: n.getRole() == roles.ROLE_LIST_ITEM):
            in_rows += alive(list(walk(item)), lambda n: n.getRole() == roles.ROLE_PUSH_BUTTON)
        focusable = alive([(n, 0) for n in in_rows],
                          lambda n: n.getState().contains(roles.STATE_FOCUSABLE))
        ok &= tap(bool(in_rows) and not focusable,
                  "a row's buttons are not Tab stops (%d buttons, %d focusable)"
                  % (len(in_rows), len(focusable)))
        return 0 if ok else 1
    finally:
        if app_proc is not None:
            if app_proc.poll() is not None:
                sys.stderr.write("pcq-window ended early (%d):\n%s\n" % (
                    app_proc.returncode, app_proc.stderr.read().decode(errors="replace")))
            app_proc.send_signal(signal.SIGKILL)
            app_proc.wait()
        os.kill(bus_pid, signal.SIGTERM)
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
