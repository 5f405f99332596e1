"""A TCP forwarder between a server and PostgreSQL that can cut the line: a database outage
without stopping the shared PostgreSQL.

`cut()` closes the listening port and every forwarded connection, so the server's pooled
connections break and new ones are refused; `restore()` listens on the same port again.
`blackhole()` breaks every connection and then accepts new ones without ever answering:
a database host that has vanished from the network, where connecting hangs.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from reliability.serve import free_port


class TcpForwarder:
    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._accepting = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._swallow = False
        self.connections_made = 0

    def restore(self, *, swallow: bool = False) -> None:
        """Listen (again) and forward every new connection to the target (or swallow it)."""
        self._swallow = swallow
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self._accepting.set()
        self._thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        self._thread.start()

    def start(self) -> None:
        self.restore()

    def cut(self) -> None:
        """Refuse new connections and break every open one, at once."""
        self._accepting.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            doomed = list(self._sockets)
            self._sockets.clear()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def blackhole(self) -> None:
        """Break every connection, then accept new ones and never answer them."""
        self.cut()
        self.restore(swallow=True)

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._accepting.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._swallow:
                with self._lock:
                    self._sockets.add(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
                self.connections_made += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._sockets.discard(src)
                self._sockets.discard(dst)
            src.close()
