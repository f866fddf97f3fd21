"""A stand-in for the intranet portal that frames the dashboard, for the demo and the tests.

It serves one page on its own origin that frames the dashboard and keeps its address bar and
title in step with the messages the framed dashboard posts. Run it with
`python -m config.portal_demo --port 8001 --dashboard http://127.0.0.1:8000`.
"""

import html
import logging
import threading
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

FILES_DIR = Path(__file__).resolve().parent
STATIC_FILES = {
    "/portal.js": ("portal.js", "text/javascript; charset=utf-8"),
    "/portal.css": ("portal.css", "text/css; charset=utf-8"),
}


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class PortalHandler(BaseHTTPRequestHandler):
    """Serve the portal page on / and its script and stylesheet."""

    def __init__(self, *args, dashboard_url: str, **kwargs) -> None:
        self.dashboard_url = dashboard_url.rstrip("/")
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to.
        path = urlsplit(self.path).path
        if path == "/":
            page = (FILES_DIR / "index.html").read_text()
            body = page.replace("{{ dashboard }}", html.escape(self.dashboard_url, quote=True))
            self._send(HTTPStatus.OK, body.encode(), "text/html; charset=utf-8")
        elif path in STATIC_FILES:
            name, content_type = STATIC_FILES[path]
            self._send(HTTPStatus.OK, (FILES_DIR / name).read_bytes(), content_type)
        elif path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        else:
            self._send(HTTPStatus.NOT_FOUND, b"Not found", "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
            f"base-uri 'none'; frame-src {origin_of(self.dashboard_url)}",
        )
        self.send_header("Referrer-Policy", "same-origin")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name.
        logger.debug("Portal %s " + format, self.address_string(), *args)


class PortalServer:
    """The portal page served on a background thread; use it as a context manager."""

    def __init__(self, dashboard_url: str, host: str = "localhost", port: int = 0) -> None:
        handler = partial(PortalHandler, dashboard_url=dashboard_url)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "PortalServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()
