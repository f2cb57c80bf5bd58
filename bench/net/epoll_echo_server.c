/* The limit in bench/echo_compare: a hand-written, level-triggered epoll echo
 * server in C, what a server written straight to the kernel does.
 *
 *   epoll_echo_server [HOST [PORT [THREADS]]]   (127.0.0.1, 0 = any free port, 1)
 *
 * Prints "listening on HOST:PORT" as its first line, like weft's
 * examples/net/echo_server, and serves until killed. Each readable
 * connection gets one read of up to 64 KiB and one write of what came; bytes
 * the socket would not take wait in a per-connection buffer, with EPOLLOUT
 * on, while reading from that connection pauses. With THREADS > 1, each
 * thread has its own SO_REUSEPORT listener and epoll set, as weft's
 * `--loops N` has one per loop (echo_compare --loops compares the two).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { buffer_bytes = 64 * 1024 };

struct connection {
  int fd;
  size_t pending, offset; /* unsent echo: buf[offset, offset + pending) */
  char buf[buffer_bytes];
};

static void die(const char* what) {
  fprintf(stderr, "epoll_echo_server: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void drop(struct connection* c) {
  close(c->fd); /* also removes it from the epoll set */
  free(c);
}

static void set_events(int ep, struct connection* c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl");
}

/* Sends the pending bytes; 0 when all went, 1 when the socket is full, -1 on error. */
static int send_pending(struct connection* c) {
  while (c->pending > 0) {
    ssize_t w = send(c->fd, c->buf + c->offset, c->pending, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN ? 1 : -1;
    }
    c->offset += (size_t)w;
    c->pending -= (size_t)w;
  }
  return 0;
}

static int listener(struct sockaddr_in* addr) {
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    die("socket");
  if (bind(lfd, (struct sockaddr*)addr, sizeof *addr) != 0 || listen(lfd, 4096) != 0) die("bind");
  socklen_t len = sizeof *addr;
  if (getsockname(lfd, (struct sockaddr*)addr, &len) != 0) die("getsockname");
  return lfd;
}

static void* serve(void* arg) {
  int lfd = (int)(intptr_t)arg;
  int one = 1;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL: the listener */
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) die("epoll_ctl");
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      struct connection* c = events[i].data.ptr;
      if (c == NULL) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) continue; /* EAGAIN, ECONNABORTED, EMFILE: try on the next wake-up */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c = malloc(sizeof *c);
        if (!c) die("malloc");
        c->fd = fd;
        c->pending = c->offset = 0;
        struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) != 0) die("epoll_ctl");
        continue;
      }
      if (c->pending > 0) { /* EPOLLOUT: finish the echo, then read again */
        int s = send_pending(c);
        if (s < 0) drop(c);
        else if (s == 0) set_events(ep, c, EPOLLIN);
        continue;
      }
      ssize_t r = recv(c->fd, c->buf, buffer_bytes, 0);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) {
        drop(c);
        continue;
      }
      c->offset = 0;
      c->pending = (size_t)r;
      int s = send_pending(c);
      if (s < 0) drop(c);
      else if (s > 0) set_events(ep, c, EPOLLOUT);
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  const char* host = argc > 1 ? argv[1] : "127.0.0.1";
  int port = argc > 2 ? atoi(argv[2]) : 0;
  int threads = argc > 3 ? atoi(argv[3]) : 1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1 || threads < 1) {
    fprintf(stderr, "epoll_echo_server: usage: [HOST [PORT [THREADS]]], HOST an IPv4 address, THREADS >= 1\n");
    return 2;
  }
  /* Every listener before the first line: a client that reads the port
   * then connects finds them all. */
  int first = listener(&addr);
  for (int t = 1; t < threads; ++t) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, serve, (void*)(intptr_t)listener(&addr)) != 0) die("pthread_create");
  }
  printf("listening on %s:%d\n", host, ntohs(addr.sin_port));
  fflush(stdout);
  serve((void*)(intptr_t)first);
  return 0;
}
