/* The load client of bench/echo_compare: plain C and epoll, no weft, so that
 * every server is driven by the same code.
 *
 *   echo_client HOST PORT CONNECTIONS SECONDS [MESSAGE_BYTES [IN_FLIGHT [WARMUP_SECONDS [SERVER_PID]]]]
 *
 * Opens CONNECTIONS TCP connections (TCP_NODELAY), keeps IN_FLIGHT messages
 * of MESSAGE_BYTES outstanding on each (1 and 64: ping-pong; 8 and 512:
 * streaming), and counts a request done when its whole echo is back. After
 * WARMUP_SECONDS (default 1) it measures for SECONDS and prints one line:
 *
 *   <requests per second> <p99 latency in microseconds> <requests> <server CPU us per request>
 *
 * The last figure reads SERVER_PID's CPU-time clock (clock_getcpuclockid: user
 * and system time of all its threads, in ns) at the start and end of the
 * measured window; -1 without a pid.
 * Latency is from the write that finished sending a message to the read that
 * completed its echo, kept in a histogram of 1 us buckets (1 s and more
 * count as 1 s). Exit
 * status 1 with a message on stderr when a server closes or fails. One
 * thread; run it pinned to its own CPU.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { histogram_buckets = 1000000, max_in_flight = 64 };

struct connection {
  int fd;
  size_t to_send;       /* bytes of queued messages not yet written */
  size_t sent_in_msg;   /* bytes of the message at the head of the send queue already written */
  size_t received;      /* bytes of the oldest outstanding echo already read */
  unsigned head, count; /* ring of send times of messages written in full */
  uint64_t sent_at[max_in_flight];
  int want_out;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char* what) {
  fprintf(stderr, "echo_client: %s: %s\n", what, strerror(errno));
  exit(1);
}

static size_t message_bytes;
static char* payload;
static uint64_t* histogram;
static uint64_t measured;
static int measuring;

/* Writes what is queued; returns -1 when the socket is full. */
static int flush(struct connection* c) {
  while (c->to_send > 0) {
    size_t n = message_bytes - c->sent_in_msg;
    ssize_t w = send(c->fd, payload + c->sent_in_msg, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return -1;
      die("send");
    }
    c->sent_in_msg += (size_t)w;
    c->to_send -= (size_t)w;
    if (c->sent_in_msg == message_bytes) {
      c->sent_in_msg = 0;
      c->sent_at[(c->head + c->count++) % max_in_flight] = now_ns();
    }
  }
  return 0;
}

/* CPU time of process `pid`, all threads together, in ns: its CPU-time
 * clock, which the kernel keeps to the nanosecond (utime + stime in
 * /proc/PID/stat come in clock ticks, 10 ms, too coarse for a short window). */
static uint64_t cpu_ns(clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) die("clock_gettime(server CPU clock)");
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void update_interest(int ep, struct connection* c, int want_out) {
  if (want_out == c->want_out) return;
  struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl");
  c->want_out = want_out;
}

static void on_readable(int ep, struct connection* c, char* buf, size_t cap) {
  for (;;) {
    ssize_t r = recv(c->fd, buf, cap, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      die("recv");
    }
    if (r == 0) {
      fprintf(stderr, "echo_client: the server closed a connection\n");
      exit(1);
    }
    size_t got = (size_t)r;
    uint64_t t = 0;
    while (got > 0) {
      size_t need = message_bytes - c->received;
      size_t take = got < need ? got : need;
      c->received += take;
      got -= take;
      if (c->received < message_bytes) break;
      if (c->count == 0) {
        fprintf(stderr, "echo_client: the server sent more than it was sent\n");
        exit(1);
      }
      c->received = 0;
      if (t == 0) t = now_ns();
      uint64_t us = (t - c->sent_at[c->head]) / 1000;
      c->head = (c->head + 1) % max_in_flight;
      --c->count;
      if (measuring) {
        ++measured;
        ++histogram[us < histogram_buckets ? us : histogram_buckets - 1];
      }
      c->to_send += message_bytes; /* keep the same number in flight */
    }
    update_interest(ep, c, flush(c) != 0);
    if ((size_t)r < cap) return;
  }
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr,
            "usage: %s HOST PORT CONNECTIONS SECONDS [MESSAGE_BYTES [IN_FLIGHT [WARMUP_SECONDS [SERVER_PID]]]]\n",
            argv[0]);
    return 2;
  }
  const char* host = argv[1];
  int port = atoi(argv[2]);
  int connections = atoi(argv[3]);
  double seconds = atof(argv[4]);
  message_bytes = argc > 5 ? (size_t)atoi(argv[5]) : 64;
  int in_flight = argc > 6 ? atoi(argv[6]) : 1;
  double warmup = argc > 7 ? atof(argv[7]) : 1.0;
  long server_pid = argc > 8 ? atol(argv[8]) : 0;
  if (connections < 1 || message_bytes < 1 || in_flight < 1 || in_flight > max_in_flight || seconds <= 0) {
    fprintf(stderr, "echo_client: bad arguments\n");
    return 2;
  }
  payload = malloc(message_bytes);
  histogram = calloc(histogram_buckets, sizeof *histogram);
  struct connection* conns = calloc((size_t)connections, sizeof *conns);
  if (!payload || !histogram || !conns) die("malloc");
  memset(payload, 'x', message_bytes);

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "echo_client: %s is not an IPv4 address\n", host);
    return 2;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  /* Blocking connects, one at a time: the listener's backlog never overflows. */
  for (int i = 0; i < connections; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) die("connect");
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) die("setsockopt");
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) die("fcntl");
    conns[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
  }
  for (int i = 0; i < connections; ++i) {
    conns[i].to_send = message_bytes * (size_t)in_flight;
    update_interest(ep, &conns[i], flush(&conns[i]) != 0);
  }

  enum { batch = 1024 };
  struct epoll_event events[batch];
  size_t cap = 64 * 1024;
  char* buf = malloc(cap);
  if (!buf) die("malloc");
  uint64_t measure_from = now_ns() + (uint64_t)(warmup * 1e9), measure_start = 0, t = 0;
  clockid_t server_clock = 0;
  if (server_pid > 0) {
    int err = clock_getcpuclockid((pid_t)server_pid, &server_clock);
    if (err != 0) {
      errno = err;
      die("clock_getcpuclockid");
    }
  }
  uint64_t cpu_start = 0;
  uint64_t measure_ns = (uint64_t)(seconds * 1e9);
  for (;;) {
    int n = epoll_wait(ep, events, batch, 10);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; ++i) {
      struct connection* c = events[i].data.ptr;
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(ep, c, buf, cap);
      if (events[i].events & EPOLLOUT) update_interest(ep, c, flush(c) != 0);
    }
    t = now_ns();
    if (!measuring && t >= measure_from) {
      measuring = 1;
      measure_start = t;
      if (server_pid > 0) cpu_start = cpu_ns(server_clock);
    } else if (measuring && t - measure_start >= measure_ns) {
      break;
    }
  }
  double elapsed = (double)(t - measure_start) / 1e9;
  double cpu_us = -1;
  if (server_pid > 0) cpu_us = (double)(cpu_ns(server_clock) - cpu_start) / 1e3;
  uint64_t rank = (measured * 99 + 99) / 100, seen = 0, p99 = histogram_buckets;
  for (uint64_t us = 0; us < histogram_buckets; ++us) {
    seen += histogram[us];
    if (seen >= rank) {
      p99 = us;
      break;
    }
  }
  if (measured == 0) {
    fprintf(stderr, "echo_client: no request completed\n");
    return 1;
  }
  printf("%.0f %llu %llu %.2f\n", (double)measured / elapsed, (unsigned long long)p99, (unsigned long long)measured,
         cpu_us < 0 ? -1.0 : cpu_us / (double)measured);
  return 0;
}
