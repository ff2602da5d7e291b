"""
A small QMP/HMP client and a VM launcher for the functional tests.

Python standard library only.  Every read has a deadline (DEFAULT_TIMEOUT
unless told otherwise) so a misbehaving binary fails a test instead of
hanging the suite, and every process a VM starts is killed when the VM is
torn down.

The binary under test is $MINIVM, or build/minivm at the repository root.
The same tests run against real QEMU (MINIVM=/usr/bin/qemu-system-x86_64)
to check that they encode QEMU's actual behaviour.
"""

import codecs
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

DEFAULT_TIMEOUT = 10.0
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_ARGS = ("-machine", "none", "-nodefaults", "-display", "none")
HMP_PROMPT = "(qemu) "

_NO_ID = object()


def binary_path():
    """The binary under test, as an absolute path."""
    path = os.environ.get("MINIVM") or os.path.join(REPO_ROOT, "build", "minivm")
    if not os.path.isabs(path):
        # A relative $MINIVM is taken from the repository root, so the suite
        # behaves the same whatever directory it is started from.
        path = os.path.join(REPO_ROOT, path)
    return path


def binary_name():
    """What the binary calls itself in error messages (its basename)."""
    return os.path.basename(binary_path())


def is_qemu():
    """True when the binary under test is real QEMU rather than minivm.

    The version banner cannot tell them apart (minivm imitates it), so this
    goes by name; MINIVM_IS_QEMU=0/1 overrides for renamed binaries.
    """
    forced = os.environ.get("MINIVM_IS_QEMU")
    if forced is not None:
        return forced not in ("", "0", "no", "false")
    return binary_name().startswith("qemu-system")


class QMPError(Exception):
    """An {"error": {"class", "desc"}} reply."""

    def __init__(self, cls, desc, reply=None):
        super().__init__("%s: %s" % (cls, desc))
        self.cls = cls
        self.desc = desc
        self.reply = reply


class QMPTimeout(Exception):
    """Nothing (complete) arrived before the deadline."""


class QMPClosed(Exception):
    """The peer closed the connection."""


class _Channel:
    """Bytes in and out over a socket or a pair of pipe fds, with deadlines."""

    def __init__(self, rfd, wfd, keep=()):
        self.rfd = rfd
        self.wfd = wfd
        self._keep = list(keep)  # objects that own the fds (socket, files)
        os.set_blocking(rfd, False)
        if wfd is not None:
            os.set_blocking(wfd, False)
        self.closed = False
        self.eof = False

    def recv(self, deadline):
        """Some bytes, b"" at end of file; QMPTimeout after the deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPTimeout("no data before the deadline")
            r, _, _ = select.select([self.rfd], [], [], left)
            if not r:
                continue
            try:
                data = os.read(self.rfd, 65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""
            if not data:
                self.eof = True
            return data

    def send(self, data, deadline):
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPTimeout("peer did not accept data before the deadline")
            _, w, _ = select.select([], [self.wfd], [], left)
            if not w:
                continue
            try:
                n = os.write(self.wfd, view[:1 << 20])
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError) as e:
                raise QMPClosed("peer closed the connection: %s" % e)
            view = view[n:]

    def shutdown_write(self):
        for obj in self._keep:
            if isinstance(obj, socket.socket):
                try:
                    obj.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return

    def close(self):
        if self.closed:
            return
        self.closed = True
        owned = False
        for obj in self._keep:
            owned = True
            try:
                obj.close()
            except OSError:
                pass
        if not owned:
            for fd in {self.rfd, self.wfd} - {None}:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _connect_retry(family, address, timeout, alive=None):
    """Connects, retrying while the server is still starting up."""
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            sock.connect(address)
            sock.settimeout(None)
            return sock
        except (FileNotFoundError, ConnectionRefusedError) as e:
            sock.close()
            if alive is not None and not alive():
                raise QMPClosed("process exited before %r was listening" % (address,))
            if time.monotonic() >= deadline:
                raise QMPTimeout("cannot connect to %r: %s" % (address, e))
            time.sleep(0.02)
        except BaseException:
            sock.close()
            raise


class _TextStream:
    """Decoded text from a _Channel, with a buffer."""

    def __init__(self, channel, timeout):
        self.chan = channel
        self.timeout = timeout
        self.buf = ""
        self._dec = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def fill(self, deadline):
        data = self.chan.recv(deadline)
        if not data:
            self.buf += self._dec.decode(b"", final=True)
            return False
        self.buf += self._dec.decode(data)
        return True


class QMP:
    """A QMP client.

    Replies are matched to requests in order; events that arrive meanwhile
    are kept in self.events (oldest first) for wait_event().
    """

    def __init__(self, channel, timeout=DEFAULT_TIMEOUT, greeting=True):
        self.stream = _TextStream(channel, timeout)
        self.timeout = timeout
        self.events = []
        self.greeting = None
        self._decoder = json.JSONDecoder()
        if greeting:
            self.greeting = self.recv()
            if "QMP" not in self.greeting:
                raise AssertionError("not a QMP greeting: %r" % (self.greeting,))

    # --- construction -----------------------------------------------------

    @classmethod
    def unix(cls, path, timeout=DEFAULT_TIMEOUT, alive=None, **kw):
        sock = _connect_retry(socket.AF_UNIX, path, timeout, alive)
        return cls.from_socket(sock, timeout=timeout, **kw)

    @classmethod
    def tcp(cls, host, port, timeout=DEFAULT_TIMEOUT, alive=None, **kw):
        sock = _connect_retry(socket.AF_INET, (host, port), timeout, alive)
        return cls.from_socket(sock, timeout=timeout, **kw)

    @classmethod
    def from_socket(cls, sock, **kw):
        return cls(_Channel(sock.fileno(), sock.fileno(), keep=[sock]), **kw)

    @classmethod
    def pipes(cls, rfile, wfile, **kw):
        """Over a child's stdout (rfile) and stdin (wfile), e.g. -qmp stdio."""
        return cls(_Channel(rfile.fileno(), wfile.fileno(), keep=[rfile, wfile]), **kw)

    # --- low level --------------------------------------------------------

    def raw(self, data):
        """Sends bytes (or str) exactly as given."""
        if isinstance(data, str):
            data = data.encode()
        self.stream.chan.send(data, time.monotonic() + self.timeout)

    def send(self, obj):
        self.raw(json.dumps(obj) + "\n")

    def _try_parse(self):
        buf = self.stream.buf
        start = len(buf) - len(buf.lstrip())
        if start == len(buf):
            self.stream.buf = ""
            return None
        try:
            obj, end = self._decoder.raw_decode(buf, start)
        except json.JSONDecodeError:
            return None
        # Drop the "\r\n" that ends the message so raw_line() starts clean.
        self.stream.buf = buf[end:].lstrip()
        return obj

    def recv(self, timeout=None):
        """The next message, event or reply."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            obj = self._try_parse()
            if obj is not None:
                return obj
            try:
                more = self.stream.fill(deadline)
            except QMPTimeout:
                raise QMPTimeout("no complete QMP message; buffered %r"
                                 % self.stream.buf[:200])
            if not more:
                obj = self._try_parse()
                if obj is not None:
                    return obj
                raise QMPClosed("connection closed; buffered %r" % self.stream.buf[:200])

    def raw_line(self, timeout=None):
        """The next line exactly as received, terminator included."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while "\n" not in self.stream.buf:
            if not self.stream.fill(deadline):
                raise QMPClosed("connection closed; buffered %r" % self.stream.buf[:200])
        line, _, rest = self.stream.buf.partition("\n")
        self.stream.buf = rest
        return line + "\n"

    def reply(self, timeout=None):
        """The next message that is not an event (events are kept)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            msg = self.recv(max(0.0, deadline - time.monotonic()))
            if isinstance(msg, dict) and "event" in msg:
                self.events.append(msg)
                continue
            return msg

    # --- commands ---------------------------------------------------------

    def execute(self, name, args=None, id=_NO_ID, timeout=None):
        """Sends one command and returns the whole reply dict."""
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        if id is not _NO_ID:
            req["id"] = id
        self.send(req)
        return self.reply(timeout)

    def cmd(self, name, _args=None, **kwargs):
        """Runs a command: its "return" value, or QMPError.

        Keyword names have '_' turned into '-' (command_line= is
        "command-line"); pass a dict as _args for names that need '_'.
        """
        args = dict(_args or {})
        for k, v in kwargs.items():
            args[k.replace("_", "-")] = v
        resp = self.execute(name, args if (args or _args is not None) else None)
        return self.result(resp)

    @staticmethod
    def result(resp):
        if "error" in resp:
            err = resp["error"]
            raise QMPError(err.get("class"), err.get("desc"), resp)
        if "return" not in resp:
            raise AssertionError("reply has neither return nor error: %r" % (resp,))
        return resp["return"]

    def negotiate(self):
        return self.cmd("qmp_capabilities")

    # --- events -----------------------------------------------------------

    def wait_event(self, name, timeout=None):
        """The first event called 'name', already received or still to come."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("event") == name:
                    return self.events.pop(i)
            msg = self.recv(max(0.0, deadline - time.monotonic()))
            if isinstance(msg, dict) and "event" in msg:
                self.events.append(msg)
            else:
                raise AssertionError("unexpected non-event while waiting for %s: %r"
                                     % (name, msg))

    def drain(self, quiet=0.3):
        """Everything that arrives until 'quiet' seconds pass with nothing."""
        out = []
        while True:
            try:
                out.append(self.recv(quiet))
            except QMPTimeout:
                return out

    def wait_closed(self, timeout=None):
        """Reads until the server closes; returns what arrived meanwhile."""
        out = []
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                out.append(self.recv(max(0.0, deadline - time.monotonic())))
            except QMPClosed:
                return out

    def close(self):
        self.stream.chan.close()


_ESCAPE_RE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|[@-Z\\-_])")


def strip_escapes(text):
    return _ESCAPE_RE.sub("", text)


class HMP:
    """A human monitor over a socket: waits for the "(qemu) " prompt."""

    def __init__(self, channel, timeout=DEFAULT_TIMEOUT):
        self.stream = _TextStream(channel, timeout)
        self.timeout = timeout
        # What came before the first prompt: the banner line(s).
        self.banner = strip_escapes(self._until_prompt())

    @classmethod
    def unix(cls, path, timeout=DEFAULT_TIMEOUT, alive=None):
        sock = _connect_retry(socket.AF_UNIX, path, timeout, alive)
        return cls(_Channel(sock.fileno(), sock.fileno(), keep=[sock]), timeout)

    @classmethod
    def from_socket(cls, sock, timeout=DEFAULT_TIMEOUT):
        return cls(_Channel(sock.fileno(), sock.fileno(), keep=[sock]), timeout)

    def _until_prompt(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if self.stream.buf.endswith(HMP_PROMPT):
                out = self.stream.buf[: -len(HMP_PROMPT)]
                self.stream.buf = ""
                return out
            try:
                more = self.stream.fill(deadline)
            except QMPTimeout:
                raise QMPTimeout("no HMP prompt; buffered %r" % self.stream.buf[-300:])
            if not more:
                raise QMPClosed("HMP closed; buffered %r" % self.stream.buf[-300:])

    def cmd(self, line, timeout=None):
        """Runs one command line; its output, escapes stripped, '\\r\\n' kept.

        The monitor echoes what is typed (with cursor-movement escapes) and
        ends the echo with "\\r\\n"; the output is what follows.
        """
        self.stream.chan.send((line + "\n").encode(),
                              time.monotonic() + self.timeout)
        text = self._until_prompt(timeout)
        echo, sep, out = text.partition("\r\n")
        return strip_escapes(out) if sep else ""

    def send_line(self, line):
        """Sends a line without waiting for a prompt (e.g. quit)."""
        self.stream.chan.send((line + "\n").encode(),
                              time.monotonic() + self.timeout)

    def wait_closed(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while self.stream.fill(deadline):
            pass
        return strip_escapes(self.stream.buf)

    def close(self):
        self.stream.chan.close()


def free_tcp_port():
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0): a daemon reparented to an init that
    # does not reap (as in some containers) must count as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


class VM:
    """One run of the binary under test.

    VM("-name", "foo") runs the binary with DEFAULT_ARGS (unless
    defaults=False), plus a QMP monitor on a unix socket in the VM's
    temporary directory (unless qmp=False).  stdout and stderr go to files in
    that directory so they can be asserted on.  shutdown() (or leaving a
    'with' block) kills whatever is still running, the daemon of a
    -daemonize run included, and removes the directory.
    """

    def __init__(self, *args, binary=None, defaults=True, qmp=True,
                 stdio=False, pass_fds=(), env=None, timeout=DEFAULT_TIMEOUT):
        self.binary = binary or binary_path()
        self.timeout = timeout
        # run.py tags the directories of its run so it can find leftovers.
        tag = os.environ.get("MINIVM_FUNCTIONAL_TAG", "")
        self.tmp = tempfile.mkdtemp(prefix="mvm-%s" % (tag + "-" if tag else ""), dir="/tmp")
        self.qmp_path = self.path("qmp.sock") if qmp else None
        self.args = [self.binary]
        if defaults:
            self.args += DEFAULT_ARGS
        if qmp:
            self.args += ["-qmp", "unix:%s,server=on,wait=off" % self.qmp_path]
        # "@TMP@" in an argument stands for the VM's temporary directory.
        self.args += [a.replace("@TMP@", self.tmp) for a in args]
        self.stdio = stdio
        self.pass_fds = tuple(pass_fds)
        self.env = env
        self.proc = None
        self.extra_pids = []  # e.g. a -daemonize daemon
        self.clients = []
        self._stdout = None
        self._stderr = None
        self.returncode = None

    def path(self, name):
        return os.path.join(self.tmp, name)

    def launch(self):
        self._stderr = open(self.path("stderr.log"), "wb")
        if self.stdio:
            stdin, stdout = subprocess.PIPE, subprocess.PIPE
        else:
            stdin = subprocess.DEVNULL
            self._stdout = open(self.path("stdout.log"), "wb")
            stdout = self._stdout
        self.proc = subprocess.Popen(self.args, stdin=stdin, stdout=stdout,
                                     stderr=self._stderr, pass_fds=self.pass_fds,
                                     env=self.env, start_new_session=True)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self):
        if self.proc is None:
            self.launch()
        return self

    def __exit__(self, *exc):
        self.shutdown()

    # --- monitors ---------------------------------------------------------

    def qmp(self, path=None, negotiate=True, timeout=None):
        """A new QMP client on a unix socket (default: the VM's own)."""
        c = QMP.unix(path or self.qmp_path, timeout or self.timeout,
                     alive=self.alive)
        self.clients.append(c)
        if negotiate:
            c.negotiate()
        return c

    def qmp_stdio(self, negotiate=True):
        c = QMP.pipes(self.proc.stdout, self.proc.stdin, timeout=self.timeout)
        self.clients.append(c)
        if negotiate:
            c.negotiate()
        return c

    def hmp(self, path, timeout=None):
        c = HMP.unix(path, timeout or self.timeout, alive=self.alive)
        self.clients.append(c)
        return c

    # --- process ----------------------------------------------------------

    def wait(self, timeout=None):
        """The exit status; raises subprocess.TimeoutExpired."""
        self.returncode = self.proc.wait(self.timeout if timeout is None else timeout)
        return self.returncode

    def stderr(self):
        if self._stderr:
            self._stderr.flush()
        try:
            with open(self.path("stderr.log"), "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def stdout(self):
        try:
            with open(self.path("stdout.log"), "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def quit(self, timeout=None):
        """Ends the VM with QMP 'quit' and returns its exit status."""
        c = self.qmp()
        c.send({"execute": "quit"})
        c.wait_closed(timeout)
        return self.wait(timeout)

    def shutdown(self):
        for c in self.clients:
            try:
                c.close()
            except OSError:
                pass
        self.clients = []
        if self.proc is not None:
            if self.proc.poll() is None:
                self._kill(self.proc.pid)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            for f in (self.proc.stdin, self.proc.stdout):
                if f:
                    try:
                        f.close()
                    except OSError:
                        pass
            self.returncode = self.proc.returncode
        for pid in self.extra_pids:
            if _pid_alive(pid):
                self._kill(pid)
                deadline = time.monotonic() + 5
                while _pid_alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.02)
        self.extra_pids = []
        for f in (self._stdout, self._stderr):
            if f:
                f.close()
        self._stdout = self._stderr = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def _kill(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_binary(*args, timeout=DEFAULT_TIMEOUT, binary=None, input=None):
    """Runs the binary to completion: (exit status, stdout, stderr)."""
    p = subprocess.run([binary or binary_path(), *args], input=input,
                       stdin=None if input is not None else subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return (p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace"))
