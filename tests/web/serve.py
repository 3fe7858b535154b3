#!/usr/bin/env python3
"""The browser test's web server (scripts/webgl.sh): serves DIR on 127.0.0.1
and appends every line the page POSTs to /result to RESULT_FILE.

usage: serve.py DIR RESULT_FILE PORT_FILE  (writes the ephemeral port to PORT_FILE)
"""
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript"}

    def do_POST(self):
        if self.path != "/result":
            self.send_error(404)
            return
        line = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace")
        with open(self.server.result_file, "a", encoding="utf-8") as out:
            out.write(line.rstrip("\n") + "\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    directory, result_file, port_file = sys.argv[1:4]
    handler = functools.partial(Handler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.result_file = result_file
    with open(port_file, "w", encoding="utf-8") as out:
        out.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
