"""Serve the demo portal page: `python -m config.portal_demo --port 8001 --dashboard URL`."""

import argparse

from config.portal_demo import PortalServer


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Serve a demo intranet portal that frames the dashboard."
    )
    parser.add_argument(
        "--host", default="localhost", help="host name to listen on (default: localhost)"
    )
    parser.add_argument("--port", type=int, default=8001, help="port to listen on (default: 8001)")
    parser.add_argument("--dashboard", required=True, help="base URL of the dashboard to frame")
    arguments = parser.parse_args()
    server = PortalServer(arguments.dashboard, host=arguments.host, port=arguments.port)
    print(f"PORTAL_URL={server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
