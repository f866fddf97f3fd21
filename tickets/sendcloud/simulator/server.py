"""A threaded HTTP server on loopback that serves the simulator in a background thread."""

import ipaddress
import logging
import socket
import struct
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from .app import SOCKET_ENVIRON_KEY, STOPPING_ENVIRON_KEY, make_app
from .state import SimulatorState

logger = logging.getLogger(__name__)

# How long serve_forever() waits between checks for shutdown(), in seconds.
_POLL_INTERVAL = 0.05


class _RequestHandler(WSGIRequestHandler):
    def get_environ(self) -> dict:
        environ = super().get_environ()
        environ[SOCKET_ENVIRON_KEY] = self.connection
        environ[STOPPING_ENVIRON_KEY] = self.server.stopping
        return environ

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        logger.debug("%s %s", self.address_string(), format % args)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # stop() must not wait for a request thread that is hanging on purpose.
    block_on_close = False

    def __init__(self, *args, **kwargs) -> None:
        self.stopping = threading.Event()
        super().__init__(*args, **kwargs)

    def shutdown_request(self, request: socket.socket) -> None:
        # A socket set to linger 0 by the Reset fault is closed at once, so the kernel sends a
        # TCP RST. The usual shutdown(SHUT_WR) first would send a FIN.
        onoff, linger = struct.unpack(
            "ii", request.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)
        )
        if onoff and not linger:
            self.close_request(request)
            return
        super().shutdown_request(request)


class SimulatorServer:
    """Serve a `SimulatorState` over HTTP on a loopback address until `stop()`.

    Port 0 picks a free port. Use it as a context manager or call `start()` and `stop()`.
    """

    def __init__(
        self,
        state: SimulatorState,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        base_path: str = "/api/v3",
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"host must be a loopback address such as 127.0.0.1, got {host!r}")
        self.state = state
        self.host = host
        self.base_path = base_path.rstrip("/")
        self._requested_port = port
        self._server: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator server is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL of the simulated API, such as http://127.0.0.1:54321/api/v3."""
        return f"http://{self.host}:{self.port}{self.base_path}"

    @property
    def token_url(self) -> str:
        """URL of the simulated OAuth2 token endpoint, such as http://127.0.0.1:54321/oauth2/token."""
        return f"http://{self.host}:{self.port}/oauth2/token"

    def start(self) -> "SimulatorServer":
        if self._server is not None:
            raise RuntimeError("the simulator server is already started")
        server = _ThreadingWSGIServer((self.host, self._requested_port), _RequestHandler)
        server.set_app(make_app(self.state, base_path=self.base_path))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name=f"sendcloud-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info("Sendcloud simulator listening at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket. Hangs and trickles in progress end within 0.1 s."""
        server = self._server
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None
        logger.info("Sendcloud simulator stopped")

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
