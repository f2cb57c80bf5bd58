"""The asyncio and uvloop peers of bench/echo_compare.

    python3 asyncio_echo_server.py asyncio|uvloop [HOST [PORT]]   (127.0.0.1, 0 = any free port)

A Protocol that writes back what it receives: the fastest form either loop
offers (the streams API adds a task and a buffer per connection). Prints
"listening on HOST:PORT" first and serves until killed.
"""
import asyncio
import socket
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main(host, port):
    server = await asyncio.get_running_loop().create_server(Echo, host, port, backlog=4096)
    print(f"listening on {host}:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("asyncio", "uvloop"):
        sys.exit("usage: asyncio_echo_server.py asyncio|uvloop [HOST [PORT]]")
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if mode == "uvloop":
        import uvloop
        uvloop.install()
    asyncio.run(main(host, port))
