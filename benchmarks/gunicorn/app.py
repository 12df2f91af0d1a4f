"""The benchmark endpoints as a tiny WSGI application, for gunicorn's gthread workers.

/hello answers at once, /work?ms=N sleeps N ms (blocking I/O), /cpu?n=N runs the same hash
loop as the Java applications (N is calibrated separately: CPython runs it ~100x slower).
"""
import threading
import time
from urllib.parse import parse_qs

MASK = (1 << 64) - 1


def _param(environ, name, default):
    values = parse_qs(environ.get("QUERY_STRING", "")).get(name)
    return int(values[0]) if values else default


def _hash(n):
    value = 1125899906842597
    for i in range(n):
        value = (31 * value + (value >> 7) + i) & MASK
    return value


def _text(start_response, body, status="200 OK"):
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/hello":
        return _text(start_response, "Hello from gunicorn\n")
    if path == "/work":
        ms = _param(environ, "ms", 20)
        time.sleep(ms / 1000)
        return _text(start_response, f"worked {ms} ms on {threading.current_thread().name}\n")
    if path == "/cpu":
        n = _param(environ, "n", 1000)
        return _text(start_response, f"cpu {n} -> {_hash(n):x}\n")
    return _text(start_response, "not found\n", "404 Not Found")
