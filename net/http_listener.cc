#include "net/http_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <list>
#include <thread>
#include <vector>

#include "base/text.h"

namespace feedwatch::net {
namespace {

using Clock = std::chrono::steady_clock;

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// The value of header `name` (lower case) in a request head, trimmed; "" when absent. Lines end
// in CRLF or, as RFC 9112 lets a server accept, a bare LF.
std::string HeaderValue(std::string_view head, std::string_view name) {
  size_t at = head.find('\n');
  while (at != std::string_view::npos && at + 1 < head.size()) {
    const size_t end = head.find('\n', at + 1);
    std::string_view line = head.substr(at + 1, end - at - 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && EqualsIgnoringCase(line.substr(0, colon), name)) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      return std::string(value);
    }
    at = end;
  }
  return "";
}

// The status line and headers of `reply` for a body of `length` bytes.
std::string RenderHead(const HttpListener::Reply& reply, size_t length) {
  std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                    std::string(ReasonPhrase(reply.status)) +
                    "\r\nContent-Type: " + reply.content_type +
                    "\r\nContent-Length: " + std::to_string(length) + "\r\nConnection: close\r\n";
  for (const std::string& header : reply.headers) out += header + "\r\n";
  if (reply.status == 405) out += "Allow: GET, HEAD\r\n";
  if (reply.status == 503) out += "Retry-After: 5\r\n";
  out += "\r\n";
  return out;
}

// Where the request head in `in` ends (past the empty line that ends it), looking from
// `from`; npos when it has not ended. The empty line is CRLF CRLF or, leniently, LF LF (or a
// mix): RFC 9112 lets a server take a bare LF as a line's end, and clients typed by hand send
// it.
size_t EndOfHead(std::string_view in, size_t from) {
  for (size_t at = in.find('\n', from); at != std::string_view::npos; at = in.find('\n', at + 1)) {
    size_t next = at + 1;
    if (next < in.size() && in[next] == '\r') ++next;
    if (next < in.size() && in[next] == '\n') return next + 1;
  }
  return std::string_view::npos;
}

struct Connection {
  int fd = -1;
  Clock::time_point deadline;
  std::string in;  // the request head so far
  // The answer, once there is one: its head, then its body (shared with the handler's copy).
  std::string out;
  std::shared_ptr<const std::string> body;
  size_t written = 0;  // of out, then of body
  bool answering = false;
  bool large = false;  // counts against max_large_answers
};

}  // namespace

struct HttpListener::Impl {
  int listen_fd = -1;
  std::array<int, 2> wake{-1, -1};  // a pipe: the destructor writes to stop the thread
  std::map<std::string, Handler> routes;
  Limits limits;
  std::string address;
  std::list<Connection> connections;  // oldest first
  size_t large_answers = 0;           // connections sending a large answer
  std::thread thread;

  ~Impl() {
    for (const Connection& connection : connections) close(connection.fd);
    if (listen_fd >= 0) close(listen_fd);
    for (const int fd : wake) {
      if (fd >= 0) close(fd);
    }
  }

  void Run() {
    std::vector<pollfd> fds;
    while (true) {
      fds.clear();
      fds.push_back({wake[0], POLLIN, 0});
      fds.push_back({listen_fd, POLLIN, 0});
      Clock::time_point next = Clock::now() + std::chrono::seconds(60);
      for (const Connection& connection : connections) {
        fds.push_back(
            {connection.fd, static_cast<short>(connection.answering ? POLLOUT : POLLIN), 0});
        next = std::min(next, connection.deadline);
      }
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
      const int ready =
          poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait.count() + 1)));
      if (ready < 0 && errno != EINTR) return;
      if ((fds[0].revents & POLLIN) != 0) return;
      // Connections first: an accept may drop one, and fds[] follows the list's order.
      size_t i = 2;
      for (auto it = connections.begin(); it != connections.end(); ++i) {
        const short revents = fds[i].revents;
        it = revents != 0 && !Serve(*it, revents) ? Drop(it) : std::next(it);
      }
      const Clock::time_point now = Clock::now();
      for (auto it = connections.begin(); it != connections.end();) {
        it = now >= it->deadline ? Drop(it) : std::next(it);
      }
      if ((fds[1].revents & POLLIN) != 0) Accept();
    }
  }

  std::list<Connection>::iterator Drop(std::list<Connection>::iterator it) {
    close(it->fd);
    if (it->large) --large_answers;
    return connections.erase(it);
  }

  void Accept() {
    while (true) {
      const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN: no more waiting; EMFILE and the like: try on the next turn
      if (connections.size() >= limits.max_connections) {
        // Make room by dropping the oldest connection still sending its head: a slow or idle
        // client, most likely. Failing that (every one is being answered), refuse this one.
        const auto oldest = std::find_if(connections.begin(), connections.end(),
                                         [](const Connection& c) { return !c.answering; });
        if (oldest == connections.end()) {
          close(fd);
          continue;
        }
        Drop(oldest);
      }
      Connection& connection = connections.emplace_back();
      connection.fd = fd;
      connection.deadline = Clock::now() + limits.header_timeout;
    }
  }

  // Reads or writes what the connection is ready for; false when it is done or broken.
  bool Serve(Connection& connection, short revents) {
    if (connection.answering) return Write(connection);
    if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0) return true;
    std::array<char, 4096> buffer{};
    const size_t room = limits.max_request_bytes - connection.in.size();
    const ssize_t n = recv(connection.fd, buffer.data(), std::min(room + 1, buffer.size()), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return false;
    if (n < 0) return true;
    const size_t scanned_from = connection.in.size() >= 3 ? connection.in.size() - 3 : 0;
    connection.in.append(buffer.data(), static_cast<size_t>(n));
    const size_t end = EndOfHead(connection.in, scanned_from);
    // A read takes one byte past the limit, to tell a head of exactly the limit from a longer
    // one: a head that ends in that byte is too large as well.
    if ((end == std::string::npos ? connection.in.size() : end) > limits.max_request_bytes) {
      return Answer(connection, Reply::Plain(431, "request head too large\n"), false);
    }
    if (end == std::string::npos) return true;
    connection.in.resize(end);
    return Respond(connection);
  }

  bool Respond(Connection& connection) {
    const std::string_view head = connection.in;
    std::string_view line = head.substr(0, head.find('\n'));
    if (line.ends_with('\r')) line.remove_suffix(1);
    // The request line, the headers and the empty line each end in '\n'.
    if (static_cast<size_t>(std::count(head.begin(), head.end(), '\n')) > limits.max_headers + 2) {
      return Answer(connection, Reply::Plain(431, "too many headers\n"), false);
    }
    const size_t first = line.find(' ');
    const size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos || !line.substr(second + 1).starts_with("HTTP/1.")) {
      return Answer(connection, Reply::Plain(400, "bad request line\n"), false);
    }
    const std::string_view method = line.substr(0, first);
    const std::string_view target = line.substr(first + 1, second - first - 1);
    Request request;
    request.path = std::string(target.substr(0, target.find('?')));
    if (const size_t query = target.find('?'); query != std::string_view::npos) {
      request.query = std::string(target.substr(query + 1));
    }
    request.if_none_match = HeaderValue(head, "if-none-match");
    request.if_modified_since = HeaderValue(head, "if-modified-since");
    const bool head_only = method == "HEAD";
    if (method != "GET" && !head_only) {
      return Answer(connection, Reply::Plain(405, "only GET and HEAD\n"), false);
    }
    auto route = routes.find(request.path);
    if (route == routes.end()) {
      route = std::find_if(routes.begin(), routes.end(), [&](const auto& entry) {
        const std::string& key = entry.first;
        return key.ends_with('*') &&
               std::string_view(request.path)
                   .starts_with(std::string_view(key).substr(0, key.size() - 1));
      });
    }
    if (route == routes.end()) {
      return Answer(connection, Reply::Plain(404, "not found\n"), head_only);
    }
    return Answer(connection, route->second(request), head_only);
  }

  bool Answer(Connection& connection, Reply reply, bool head_only) {
    connection.in.clear();
    connection.in.shrink_to_fit();
    std::shared_ptr<const std::string> body =
        reply.shared_body != nullptr ? std::move(reply.shared_body)
                                     : std::make_shared<const std::string>(std::move(reply.body));
    if (!head_only && body->size() > limits.large_answer_bytes) {
      if (large_answers >= limits.max_large_answers) {
        // Clients that do not read (or read slowly) hold every large answer's slot: this one
        // waits, and the small answers (/healthz) keep their room.
        return Answer(connection, Reply::Plain(503, "busy: try again in a few seconds\n"), false);
      }
      connection.large = true;
      ++large_answers;
    }
    connection.out = RenderHead(reply, body->size());
    if (!head_only) connection.body = std::move(body);
    connection.answering = true;
    connection.deadline = Clock::now() + limits.write_timeout;
    return Write(connection);
  }

  static bool Write(Connection& connection) {
    const size_t head = connection.out.size();
    const size_t total = head + (connection.body != nullptr ? connection.body->size() : 0);
    while (connection.written < total) {
      const bool in_head = connection.written < head;
      const char* from = in_head ? connection.out.data() + connection.written
                                 : connection.body->data() + (connection.written - head);
      const size_t left = in_head ? head - connection.written : total - connection.written;
      const ssize_t n = send(connection.fd, from, left, MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      connection.written += static_cast<size_t>(n);
    }
    // All sent: close. Whatever the client still sends (a body) is not read.
    shutdown(connection.fd, SHUT_WR);
    return false;
  }
};

HttpListener::HttpListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpListener::~HttpListener() {
  const char stop = 1;
  (void)write(impl_->wake[1], &stop, 1);
  if (impl_->thread.joinable()) impl_->thread.join();
}

const std::string& HttpListener::address() const { return impl_->address; }

Result<std::unique_ptr<HttpListener>> HttpListener::Start(const std::string& listen,
                                                          std::map<std::string, Handler> routes,
                                                          const Limits& limits) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon == std::string::npos ? 0 : colon);
  const std::string port_text = colon == std::string::npos ? "" : listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  if (!port_text.empty() && port_text.size() <= 5 &&
      port_text.find_first_not_of("0123456789") == std::string::npos) {
    port = std::stoi(port_text);
  }
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (host == "localhost") host = "127.0.0.1";
  if (port >= 0 && port <= 65535 && inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v4;
  } else if (port >= 0 && port <= 65535 && inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v6;
  } else {
    return Error::InvalidInput("\"" + listen +
                               "\": expected ADDRESS:PORT, like 127.0.0.1:9464 or [::1]:9464");
  }
  auto impl = std::make_unique<Impl>();
  impl->routes = std::move(routes);
  impl->limits = limits;
  const auto fail = [&](const char* what) {
    return Error::Network("\"" + listen + "\": " + what + ": " + std::strerror(errno));
  };
  impl->listen_fd = socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (impl->listen_fd < 0) return fail("cannot open a socket");
  const int yes = 1;
  setsockopt(impl->listen_fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (bind(impl->listen_fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(impl->listen_fd, 128) != 0) {
    return fail("cannot listen there");
  }
  if (getsockname(impl->listen_fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return fail("cannot read the bound address");
  }
  const int bound = ntohs(storage.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  if (pipe2(impl->wake.data(), O_CLOEXEC) != 0) return fail("cannot make a pipe");
  impl->address =
      (storage.ss_family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(bound);
  Impl& running = *impl;
  impl->thread = std::thread([&running] { running.Run(); });
  return std::unique_ptr<HttpListener>(new HttpListener(std::move(impl)));
}

}  // namespace feedwatch::net
