// A small HTTP/1.1 server for a service's own endpoints (the daemon's /metrics, /healthz and
// /feeds/: daemon/metrics.h), built to stay answerable whatever its clients do. What it serves
// comes in as handlers; it knows nothing of what they read. One thread polls every connection
// without blocking, so a slow client delays nobody; each connection gets `header_timeout` from
// accept to the end of its request head and `write_timeout` to take the answer; a request head is
// read into at most `max_request_bytes`, a body is never read (every answer closes the connection);
// at most `max_connections` are open, and when a new one arrives past that, the oldest still
// sending its head is dropped, so hostile clients cannot hold the door shut. Large answers (a feed
// page) are shared, not copied, by the connections that send them, and at most `max_large_answers`
// are under way at once: past that a request for one is answered 503 at once, so clients that never
// read their answers leave room for /healthz and /metrics. Memory is bounded by max_connections *
// max_request_bytes plus one copy of each large answer.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace feedwatch::net {

class HttpListener {
 public:
  struct Limits {
    size_t max_connections = 64;
    size_t max_request_bytes = 8 * 1024;  // request line and headers
    size_t max_headers = 64;
    std::chrono::milliseconds header_timeout{5'000};
    std::chrono::milliseconds write_timeout{10'000};
    // Answers with a body over `large_answer_bytes` under way at once, at most.
    size_t max_large_answers = 48;
    size_t large_answer_bytes = 16 * 1024;
  };

  struct Reply {
    int status = 200;
    std::string content_type = "text/plain";
    std::string body;
    std::vector<std::string> headers;  // "Name: value", e.g. ETag
    // Instead of `body` when set: a body the handler keeps too (a published feed), shared by
    // the connections that send it rather than copied into each.
    std::shared_ptr<const std::string> shared_body;

    // A text/plain answer.
    static Reply Plain(int status, std::string body) {
      Reply reply;
      reply.status = status;
      reply.body = std::move(body);
      return reply;
    }
  };

  struct Request {
    std::string path;   // without the query
    std::string query;  // after '?', as sent
    std::string if_none_match;
    std::string if_modified_since;
  };

  // Called on the listener's thread for a GET (or HEAD) of its path. A route ending in '*'
  // serves every path that starts with what comes before it.
  using Handler = std::function<Reply(const Request&)>;

  // Listens on `listen` ("127.0.0.1:9464", "[::1]:9464"; port 0 picks a free port) and serves
  // `routes` until destroyed. InvalidInput for a malformed address, Network when the socket
  // cannot be had; either message starts with the address in quotes, for the caller to say
  // where it came from.
  static Result<std::unique_ptr<HttpListener>> Start(const std::string& listen,
                                                     std::map<std::string, Handler> routes,
                                                     const Limits& limits);
  static Result<std::unique_ptr<HttpListener>> Start(const std::string& listen,
                                                     std::map<std::string, Handler> routes) {
    return Start(listen, std::move(routes), Limits());
  }
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Where it listens, with the port it got: "127.0.0.1:9464".
  const std::string& address() const;

 private:
  struct Impl;
  explicit HttpListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedwatch::net
