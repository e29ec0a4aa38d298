"""Serving the console on 127.0.0.1: in a thread (tests, the demo) or until Ctrl-C (`orders-etl console`)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

HOST = "127.0.0.1"  # never another interface: the console acts with the caller's credentials


@contextmanager
def running_console(app: Flask, port: int = 0) -> Iterator[str]:
    """The console's URL while it serves in a background thread; `port` 0 picks a free one."""
    server = _server(app, port)
    thread = threading.Thread(target=server.serve_forever, name="orders-etl-console", daemon=True)
    thread.start()
    try:
        yield console_url(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def serve_until_interrupted(app: Flask, port: int, announce: object = print) -> None:
    server = _server(app, port)
    if callable(announce):
        announce(f"console: {console_url(server)}  (Ctrl-C stops it)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def console_url(server: BaseWSGIServer) -> str:
    return f"http://{HOST}:{server.server_port}/"


def _server(app: Flask, port: int) -> BaseWSGIServer:
    _check_port_free(port)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request would bury the console's own
    # Threaded: a page that waits on AWS does not hold up the next request.
    return make_server(HOST, port, app, threaded=True)


def _check_port_free(port: int) -> None:
    """The OSError of a port in use, raised here: werkzeug would print its own lines and exit the process."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        probe.bind((HOST, port))
