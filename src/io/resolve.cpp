// resolve(): getaddrinfo on the default executor (include/weft/resolve.hpp).
// The addrinfo list is copied and freed on the pool thread, so a cancelled
// caller leaves nothing behind.
#include "weft/resolve.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "weft/executor.hpp"

namespace weft {

std::vector<resolved_address> resolve(std::string_view host_view, std::string_view service_view, resolve_hints hints) {
  if (host_view.empty() && service_view.empty()) throw std::invalid_argument("weft: resolve needs a host or a service");
  std::string host(host_view);
  std::string service(service_view);
  return run_in_executor([&] {
    addrinfo want{};
    want.ai_family = hints.family;
    want.ai_socktype = hints.socktype;
    want.ai_protocol = hints.protocol;
    want.ai_flags = hints.flags;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.empty() ? nullptr : service.c_str(), &want,
                           &found);
    if (rc != 0) {
      int err = rc == EAI_SYSTEM ? errno : 0;
      std::string text = rc == EAI_SYSTEM ? std::strerror(err) : ::gai_strerror(rc);
      throw resolve_error(rc, err, "weft: resolve '" + host + "' service '" + service + "': " + text);
    }
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> freed_at_exit(found, &::freeaddrinfo);
    std::vector<resolved_address> out;
    for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_addr == nullptr || ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
      resolved_address a;
      std::memcpy(&a.addr, ai->ai_addr, ai->ai_addrlen);
      a.addr_len = ai->ai_addrlen;
      a.family = ai->ai_family;
      a.socktype = ai->ai_socktype;
      a.protocol = ai->ai_protocol;
      out.push_back(a);
    }
    return out;
  });
}

std::string resolved_address::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  }
  return text;
}

std::uint16_t resolved_address::port() const noexcept {
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

std::string resolved_address::to_string() const {
  if (addr.ss_family == AF_INET6) return "[" + host() + "]:" + std::to_string(port());
  return host() + ":" + std::to_string(port());
}

}  // namespace weft
