"""The HTTP server of the local Bot API: one thread per connection, requests handed to
:class:`~bot.local.fake_api.LocalBotApi`."""

from __future__ import annotations

import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from bot.local.wire import NOT_FOUND_BODY, http_date, reason


class Api(Protocol):
    """What the server needs of the fake (``LocalBotApi``): answer a call, serve a file."""

    _stopping: bool

    def _handle(self, token: str, method: str, query: dict[str, str], body: bytes,
                content_type: str) -> tuple[int, bytes]: ...

    def _download(self, token: str, file_path: str) -> tuple[int, bytes, str]: ...

_LOG = logging.getLogger(__name__)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 drops SYNs when a client opens a pool of connections at
    # once (each drop costs a 1 s retransmit).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], api: Api) -> None:
        self.api = api
        self.connections: set[socket.socket] = set()
        self.threads: list[threading.Thread] = []
        self.connections_lock = threading.Lock()
        self.busy = 0  # requests being answered; stop() lets them write before cutting sockets
        self.idle = threading.Condition(self.connections_lock)
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="LocalBotApi-connection",
            daemon=True,
        )
        with self.connections_lock:
            self.threads = [t for t in self.threads if t.is_alive()]
            self.threads.append(thread)
            self.connections.add(request)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        _LOG.debug("LocalBotApi: error while serving %s", client_address, exc_info=True)

    def close_connections(self, timeout: float) -> None:
        """Shut down open connections (after serving stopped) and join their threads.

        Requests already being answered (a long poll woken by the stop) finish writing
        first; idle keep-alive connections are then cut."""
        deadline = time.monotonic() + timeout
        with self.connections_lock:
            self.idle.wait_for(lambda: self.busy == 0, timeout=min(1.0, timeout))
            sockets = list(self.connections)
            threads = list(self.threads)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler, tuned for throughput (see :meth:`parse_request`)."""

    protocol_version = "HTTP/1.1"
    server_version = "LocalBotApi/1.0"
    timeout = 300
    # Without TCP_NODELAY a response written after the client's last ACK waits for the
    # delayed-ACK timer (~40 ms per request on Linux).
    disable_nagle_algorithm = True
    server: Server
    fields: dict[str, str]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if _LOG.isEnabledFor(logging.DEBUG):
            _LOG.debug("LocalBotApi %s - " + format, self.address_string(), *args)

    def parse_request(self) -> bool:
        """Parse the request line and headers into :attr:`fields` (lower-case names).

        The stdlib's parser builds an ``email.message.Message`` per request, which costs
        about ten times more than the rest of the HTTP handling; this one keeps its
        checks (HTTP/1.x only, header size limits, ``Connection``, ``Expect``).
        """
        self.command = None
        self.request_version = "HTTP/0.9"
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if not words:
            return False
        if len(words) != 3 or not words[2].startswith("HTTP/"):
            self.send_error(400, f"Bad request syntax ({self.requestline!r})")
            return False
        self.command, path, version = words
        self.request_version = "HTTP/1.1"  # error responses below get a status line
        if version not in ("HTTP/1.0", "HTTP/1.1"):
            self.send_error(505, f"Invalid HTTP version ({version})")
            return False
        self.request_version = version
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path
        fields: dict[str, str] = {}
        while True:
            line = self.rfile.readline(65537)
            if len(line) > 65536:
                self.send_error(431, "Line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            name, sep, value = line.decode("iso-8859-1").partition(":")
            if not sep:
                self.send_error(400, "Bad header line")
                return False
            if len(fields) >= 100:
                self.send_error(431, "Too many headers")
                return False
            name = name.strip().lower()
            value = value.strip()
            fields[name] = f"{fields[name]}, {value}" if name in fields else value
        self.fields = fields
        connection = fields.get("connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"
        )
        if fields.get("expect", "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        server = self.server
        with server.connections_lock:
            server.busy += 1
        try:
            self._dispatch()
        finally:
            with server.connections_lock:
                server.busy -= 1
                server.idle.notify_all()

    def _read_body(self) -> bytes:
        if self.fields.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.fields.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        api = self.server.api
        try:
            body = self._read_body()
        except (OSError, ValueError):
            self.close_connection = True
            return
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot") :].partition("/")
            status, payload, ctype = api._download(token, file_path)
            self._send(status, payload, ctype)
            return
        if not path.startswith("/bot"):
            self._send(404, NOT_FOUND_BODY, "application/json")
            return
        token, _, method = path[len("/bot") :].partition("/")
        method = method.strip("/")
        query = dict(parse_qsl(url.query, keep_blank_values=True)) if url.query else {}
        status, response = api._handle(token, method, query, body, self.fields.get("content-type", ""))
        self._send(status, response, "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        """Write status line, headers and body with a single ``send`` call."""
        closing = self.close_connection or self.server.api._stopping
        head = (
            f"{self.protocol_version} {status} {reason(status)}\r\n"
            f"Server: {self.server_version}\r\n"
            f"Date: {http_date()}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n\r\n" if closing else "\r\n")
        )
        if closing:
            self.close_connection = True
        if _LOG.isEnabledFor(logging.DEBUG):
            self.log_request(status, len(body))
        try:
            self.wfile.write(head.encode("latin-1") + body)
        except OSError:
            self.close_connection = True
