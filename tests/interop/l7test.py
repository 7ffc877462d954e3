"""Shared helpers for the l7 interop tests (stdlib only).

Each test script is run by ctest as `python3 SCRIPT.py PATH/TO/l7 [unittest args]`; call
`l7test.main()` at the bottom of the script. The path can also come from $L7_BIN.

Rules these helpers follow so that the tests are reliable:
  * every server listens on 127.0.0.1:0 and the test reads the bound port from the server's
    "listening on udp|tcp ADDR:PORT" log line;
  * a process's stdout and stderr go to files, never to pipes nobody reads, so a chatty
    server (--trace) can never block on a full pipe;
  * every wait has a deadline and every loop is bounded; a deadline that passes fails the
    test with what the process printed so far; nothing asserts that something was fast.
"""

import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

_L7 = None

# Generous bounds: these are hang guards, not performance assertions.
START_TIMEOUT = 15.0  # for a server to log its listening line
STOP_TIMEOUT = 15.0  # for a server to exit after SIGTERM/SIGINT
IO_TIMEOUT = 10.0  # for a reply on a socket
RUN_TIMEOUT = 60.0  # for a client command to finish

LISTEN_RE = re.compile(r"listening on (udp|tcp) (127\.0\.0\.1|[0-9.]+):(\d+)")


def l7():
    """The path of the l7 binary under test."""
    if _L7 is None:
        path = os.environ.get("L7_BIN")
        if not path:
            raise RuntimeError("usage: SCRIPT.py PATH/TO/l7 (or set $L7_BIN)")
        return path
    return _L7


class Deadline:
    """A point in time after which a wait gives up."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self):
        return max(0.0, self.end - time.monotonic())

    def expired(self):
        return time.monotonic() >= self.end


def wait_until(predicate, timeout, interval=0.02, what="condition"):
    """Polls predicate() until it returns something truthy; returns that value.

    Raises AssertionError after `timeout` seconds."""
    deadline = Deadline(timeout)
    while True:
        value = predicate()
        if value:
            return value
        if deadline.expired():
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(min(interval, max(0.001, deadline.remaining())))


def clean_env(extra=None):
    """The environment without any L7_* variable (so a developer's settings cannot leak into a
    test), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("L7_")}
    if extra:
        env.update(extra)
    return env


def run_l7(args, input=None, timeout=RUN_TIMEOUT, env=None):
    """Runs `l7 ARGS...` to completion; returns CompletedProcess with text stdout/stderr.

    `input` may be str or bytes. Fails (AssertionError) if the command hangs."""
    if isinstance(input, str):
        input = input.encode()
    try:
        cp = subprocess.run(
            [l7()] + list(args),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=clean_env(env),
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(
            "l7 %s did not finish within %.0f s; stderr: %r"
            % (" ".join(args), timeout, (e.stderr or b"")[-2000:])
        )
    cp.stdout = cp.stdout.decode("utf-8", "replace")
    cp.stderr = cp.stderr.decode("utf-8", "replace")
    return cp


def stderr_lines(text):
    return [line for line in text.splitlines() if line.strip()]


class L7Process:
    """A background l7 process whose stdout and stderr go to temporary files."""

    def __init__(self, args, env=None, stdin=subprocess.DEVNULL, preexec_fn=None):
        self.args = list(args)
        self._dir = tempfile.TemporaryDirectory(prefix="l7-interop-")
        self.stdout_path = os.path.join(self._dir.name, "stdout")
        self.stderr_path = os.path.join(self._dir.name, "stderr")
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [l7()] + self.args,
            stdin=stdin,
            stdout=self._out,
            stderr=self._err,
            env=clean_env(env),
            preexec_fn=preexec_fn,
        )
        self.returncode = None

    @property
    def pid(self):
        return self.proc.pid

    def _read(self, path):
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stdout(self):
        return self._read(self.stdout_path)

    def stderr(self):
        return self._read(self.stderr_path)

    def running(self):
        return self.proc.poll() is None

    def describe(self):
        return "l7 %s (exit %s)\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            " ".join(self.args),
            self.proc.poll(),
            self.stdout()[-4000:],
            self.stderr()[-4000:],
        )

    def wait_for(self, pattern, stream="stderr", timeout=START_TIMEOUT):
        """Waits until `pattern` (regex) appears in the process's stderr or stdout; returns
        the match. Fails early if the process exits first."""
        rx = re.compile(pattern, re.M)
        read = self.stderr if stream == "stderr" else self.stdout
        deadline = Deadline(timeout)
        while True:
            m = rx.search(read())
            if m:
                return m
            if not self.running():
                m = rx.search(read())
                if m:
                    return m
                raise AssertionError(
                    "process exited before printing %r:\n%s" % (pattern, self.describe())
                )
            if deadline.expired():
                raise AssertionError(
                    "no %r within %.0f s:\n%s" % (pattern, timeout, self.describe())
                )
            time.sleep(0.02)

    def send_signal(self, sig):
        if self.running():
            self.proc.send_signal(sig)

    def wait(self, timeout=STOP_TIMEOUT):
        """Waits for the process to exit; returns its exit code (negative: killed by that
        signal). Fails, after killing it, if it does not exit in time."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                "process did not exit within %.0f s:\n%s" % (timeout, self.describe())
            )
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends `sig` and waits for the exit; returns the exit code."""
        self.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass

    def close(self):
        self.kill()
        self._out.close()
        self._err.close()
        self._dir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Server(L7Process):
    """`l7 socket udp-server|tcp-server --listen 127.0.0.1:0 ARGS...`, started and listening."""

    def __init__(self, verb, args=(), env=None, listen=True, preexec_fn=None):
        full = ["socket", verb]
        if listen:
            full += ["--listen", "127.0.0.1:0"]
        full += list(args)
        super().__init__(full, env=env, preexec_fn=preexec_fn)
        try:
            m = self.wait_for(LISTEN_RE.pattern)
        except BaseException:
            self.close()
            raise
        self.proto = m.group(1)
        self.host = m.group(2)
        self.port = int(m.group(3))

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)


HTTP_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(http\)"


class HttpServer(L7Process):
    """`l7 http VERB ARGS...` (serve, shop) with --listen 127.0.0.1:0 among ARGS, started and
    listening: .port and .base ("http://127.0.0.1:PORT")."""

    def __init__(self, args, env=None):
        super().__init__(["http"] + list(args), env=env)
        try:
            self.port = int(self.wait_for(HTTP_LISTEN_RE).group(1))
        except BaseException:
            self.close()
            raise
        self.base = "http://127.0.0.1:%d" % self.port


# --- sockets -----------------------------------------------------------------------------


def _fixed_port_candidates():
    """Ports to try for a daemon's fixed port: random ones below the kernel's ephemeral range,
    where no connect() or bind to port 0 of a test running beside this one can take the port
    between our check and the daemon's own bind (with 10,000 idle client connections open, a
    port from the ephemeral range is taken again within seconds)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    if low - 1 > 20000 + 1000:  # 10000-19999 hold the lab's fixed ports (10053, 12000...)
        return [random.randint(20000, low - 1) for _ in range(50)]
    return [0] * 50  # a narrow range: let the kernel choose


def free_port():
    """A port free on 127.0.0.1 for both UDP and TCP right now, for daemons that need a fixed
    port (named, Unbound, NSD, Knot, Postfix): they cannot report an ephemeral one."""
    for candidate in _fixed_port_candidates():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
                socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            try:
                u.bind(("127.0.0.1", candidate))
                port = u.getsockname()[1]
                t.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no port free for both UDP and TCP on 127.0.0.1")


def udp_socket(rcvbuf=None, timeout=IO_TIMEOUT):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.bind(("127.0.0.1", 0))
    return s


def udp_exchange(address, payload, timeout=IO_TIMEOUT, rcvbuf=None):
    """Sends one datagram and returns the reply (bytes); fails if none comes in time. Like
    any UDP client it sends again after a second of silence (then two, four...): a datagram
    can be dropped, for instance when it meets a server's full receive buffer."""
    deadline = Deadline(timeout)
    wait = 1.0
    with udp_socket(rcvbuf=rcvbuf, timeout=timeout) as s:
        while not deadline.expired():
            s.sendto(payload, address)
            s.settimeout(max(0.01, min(wait, deadline.remaining())))
            try:
                data, peer = s.recvfrom(65535)
                return data
            except socket.timeout:
                wait *= 2
        raise AssertionError("no UDP reply from %s:%d within %.0f s" % (address + (timeout,)))


def recv_until(sock, predicate, timeout=IO_TIMEOUT, limit=1 << 24):
    """Reads from a TCP socket until predicate(data) is true or EOF; returns (data, eof)."""
    deadline = Deadline(timeout)
    data = b""
    while not predicate(data):
        if deadline.expired():
            raise AssertionError(
                "timed out after %.0f s; received so far: %r" % (timeout, data[-500:])
            )
        if len(data) > limit:
            raise AssertionError("more than %d bytes received" % limit)
        sock.settimeout(max(0.01, deadline.remaining()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            return data, True
        data += chunk
    return data, False


def recv_lines(sock, n, timeout=IO_TIMEOUT):
    """Reads exactly n LF-terminated lines (without LF) from a TCP socket."""
    data, eof = recv_until(sock, lambda d: d.count(b"\n") >= n, timeout)
    lines = data.split(b"\n")
    if len(lines) - 1 < n:
        raise AssertionError("EOF after %d of %d lines: %r" % (len(lines) - 1, n, data[-500:]))
    return lines[:n]


def recv_to_eof(sock, timeout=IO_TIMEOUT):
    """Reads until the peer closes; fails if it does not close in time. A reset after some
    data counts as the end (the peer closed with our unread bytes in its buffer)."""
    deadline = Deadline(timeout)
    data = b""
    while True:
        if deadline.expired():
            raise AssertionError(
                "peer did not close within %.0f s; received: %r" % (timeout, data[-500:])
            )
        sock.settimeout(max(0.01, deadline.remaining()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def tcp_connect(address, timeout=IO_TIMEOUT):
    return socket.create_connection(address, timeout=timeout)


def raise_nofile(wanted):
    """Raises this process's soft RLIMIT_NOFILE towards `wanted`; returns the new soft limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- test case base ----------------------------------------------------------------------


class TestCase(unittest.TestCase):
    """unittest.TestCase with l7 helpers; every process it starts is killed at the end."""

    maxDiff = None

    def setUp(self):
        self._procs = []

    def tearDown(self):
        for p in self._procs:
            p.close()

    def server(self, verb, *args, env=None, listen=True, preexec_fn=None):
        s = Server(verb, args, env=env, listen=listen, preexec_fn=preexec_fn)
        self._procs.append(s)
        return s

    def background(self, args, env=None):
        p = L7Process(args, env=env)
        self._procs.append(p)
        return p

    def assertStopsCleanly(self, proc, sig=signal.SIGTERM):
        """Sends `sig`; the process must exit with 0 within STOP_TIMEOUT."""
        self.assertTrue(proc.running(), "server died before it was stopped:\n" + proc.describe())
        code = proc.stop(sig)
        self.assertEqual(code, 0, "exit code after %s:\n%s" % (sig.name, proc.describe()))

    def assertStillRunning(self, proc):
        self.assertTrue(proc.running(), "server is no longer running:\n" + proc.describe())

    def assertUsageError(self, cp, args):
        """Exit 2 with exactly one non-empty line on stderr and nothing on stdout."""
        where = "l7 %s\nstdout: %r\nstderr: %r" % (" ".join(args), cp.stdout, cp.stderr)
        self.assertEqual(cp.returncode, 2, where)
        self.assertEqual(len(stderr_lines(cp.stderr)), 1, where)
        self.assertEqual(cp.stdout, "", where)

    def assertFailureLine(self, cp, args):
        """Exit 1 with exactly one non-empty line on stderr."""
        where = "l7 %s\nstdout: %r\nstderr: %r" % (" ".join(args), cp.stdout, cp.stderr)
        self.assertEqual(cp.returncode, 1, where)
        self.assertEqual(len(stderr_lines(cp.stderr)), 1, where)


def main():
    """Entry point: `python3 SCRIPT.py PATH/TO/l7 [unittest options]`."""
    global _L7
    args = sys.argv[1:]
    if args and os.path.isfile(args[0]):
        _L7 = os.path.abspath(args.pop(0))
    elif not os.environ.get("L7_BIN"):
        sys.stderr.write("usage: %s PATH/TO/l7 [unittest options]\n" % sys.argv[0])
        sys.exit(2)
    if _L7 is not None and not os.access(_L7, os.X_OK):
        sys.stderr.write("%s: not an executable\n" % _L7)
        sys.exit(2)
    # Server children must not inherit an ignored SIGINT/SIGTERM from a test runner.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)


class PythonUdpPeer:
    """A third-party UDP peer (stdlib socket): records each datagram and answers it `copies`
    times with `transform(datagram)`; transform None means no answer."""

    def __init__(self, transform, copies=1):
        self.sock = udp_socket(timeout=0.1)
        self.port = self.sock.getsockname()[1]
        self.transform, self.copies = transform, copies
        self.received = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received.append(data)
            if self.transform is not None:
                for _ in range(self.copies):
                    self.sock.sendto(self.transform(data), peer)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
