"""Loopback HTTPS server for the net/client tests.

Usage: tls_server.py PKI_DIR

Listens on 127.0.0.1 with three sockets and prints one line
    PORTS good=<port> expired=<port> blackhole=<port>
then serves until stdin closes. `good` uses server.crt, `expired` an expired
certificate with the same key; both require a client certificate signed by
ca.crt. `blackhole` accepts TCP connections but never speaks TLS.
"""

import http.server
import json
import os
import socket
import ssl
import sys
import threading
import urllib.parse

EVENTS = {}
EVENTS_LOCK = threading.Lock()


def event(key):
    with EVENTS_LOCK:
        return EVENTS.setdefault(key, threading.Event())


def status_body(code, reason, message, details=None):
    obj = {"kind": "Status", "apiVersion": "v1", "metadata": {},
           "status": "Failure", "message": message, "reason": reason,
           "code": code}
    if details is not None:
        obj["details"] = details
    return json.dumps(obj)


STATUSES = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    401: ("Unauthorized", "Unauthorized"),
    403: ("Forbidden", 'nodes "edge-2" is forbidden: node "edge-1" cannot '
                       'modify node "edge-2"'),
    404: ("NotFound", 'pods "web-0" not found'),
    409: ("Conflict", 'Operation cannot be fulfilled on leases.coordination.k8s.io '
                      '"edge-1": the object has been modified; please apply your '
                      'changes to the latest version and try again'),
    410: ("Expired", "too old resource version: 100 (2000)"),
    422: ("Invalid", 'Node "Edge_1" is invalid: metadata.name: Invalid value: '
                     '"Edge_1": a lowercase RFC 1123 subdomain must consist of ...'),
    500: ("InternalError", "Internal error occurred: etcdserver: request timed out"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, code, payload, ctype="application/json", extra=()):
        data = payload if isinstance(payload, bytes) else payload.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def client_cn(self):
        cert = self.connection.getpeercert() or {}
        for rdn in cert.get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return value
        return ""

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def stream(self, query):
        count = int(query.get("n", "0"))  # 0: until the client goes away
        interval = float(query.get("interval_ms", "20")) / 1000.0
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        i = 0
        gate = threading.Event()
        try:
            while count == 0 or i < count:
                line = json.dumps({"type": "ADDED", "object": {
                    "kind": "Pod", "metadata": {"name": "p-%d" % i}}}) + "\n"
                data = line.encode()
                # split every line in two chunks: boundaries fall mid-line
                self.chunk(data[:10])
                self.chunk(data[10:])
                i += 1
                if i > 3000:
                    break
                gate.wait(interval)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def route(self):
        body = self.read_body()
        path, _, raw_query = self.path.partition("?")
        query = dict(urllib.parse.parse_qsl(raw_query))
        if path == "/echo" or path.startswith("/api/"):
            self.reply(200, json.dumps({
                "method": self.command, "path": path, "query": query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "peer_port": self.client_address[1],
                "client_cn": self.client_cn()}))
        elif path.startswith("/status/"):
            code = int(path[len("/status/"):])
            reason, message = STATUSES[code]
            self.reply(code, status_body(code, reason, message))
        elif path == "/already-exists":
            self.reply(409, status_body(409, "AlreadyExists",
                                        'nodes "edge-1" already exists',
                                        {"name": "edge-1", "kind": "nodes"}))
        elif path == "/throttle":
            self.reply(429, status_body(429, "TooManyRequests",
                                        "Too many requests, please try again later.",
                                        {"retryAfterSeconds": 3}),
                       extra=[("Retry-After", "7")])
        elif path == "/throttle-body":
            self.reply(429, status_body(429, "TooManyRequests",
                                        "Too many requests, please try again later.",
                                        {"retryAfterSeconds": 3}))
        elif path == "/html502":
            self.reply(502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
                            "<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
                            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                            + "<!-- padding -->\r\n" * 20,
                       ctype="text/html")
        elif path == "/html200":
            self.reply(200, "<html><body>Welcome to the login portal</body></html>",
                       ctype="text/html")
        elif path == "/redirect":
            self.reply(302, b"", extra=[("Location", "/echo?redirected=1")])
        elif path == "/redirect-loop":
            self.reply(302, b"", extra=[("Location", "/redirect-loop")])
        elif path == "/big":
            self.reply(200, json.dumps({"data": "x" * int(query.get("n", "1000"))}))
        elif path == "/stream":
            self.stream(query)
        elif path.startswith("/stream-status/"):
            code = int(path[len("/stream-status/"):])
            reason, message = STATUSES[code]
            self.reply(code, status_body(code, reason, message))
        elif path == "/hang":
            released = event(query.get("key", "")).wait(60)
            self.reply(200, json.dumps({"released": released}))
        elif path == "/release":
            event(query.get("key", "")).set()
            self.reply(200, "{}")
        elif path == "/stall":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b'{"partial":')
            self.wfile.flush()
            event("stall").wait(60)
            self.close_connection = True
        elif path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b'{"partial":')
            self.wfile.flush()
            self.close_connection = True
        else:
            self.reply(404, status_body(404, "NotFound", "no route " + path))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = route


def drain(sock):
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(5)
        while sock.recv(4096):
            pass
    except OSError:
        pass
    finally:
        sock.close()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ctx):
        super().__init__(("127.0.0.1", 0), Handler)
        self.ctx = ctx

    def finish_request(self, request, client_address):
        try:
            tls = self.ctx.wrap_socket(request, server_side=True,
                                       do_handshake_on_connect=False)
        except (ssl.SSLError, OSError):
            return
        try:
            tls.do_handshake()
        except (ssl.SSLError, OSError):
            # the TLS alert is on its way: let the client read it instead
            # of resetting the connection under it
            drain(tls)
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


def context(pki, cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(pki, cert), os.path.join(pki, "server.key"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(os.path.join(pki, "ca.crt"))
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def main():
    pki = sys.argv[1]
    good = Server(context(pki, "server.crt"))
    expired = Server(context(pki, "expired.crt"))
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(16)
    for srv in (good, expired):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("PORTS good=%d expired=%d blackhole=%d" % (
        good.server_address[1], expired.server_address[1],
        blackhole.getsockname()[1]), flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
