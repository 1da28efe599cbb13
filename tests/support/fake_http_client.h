// An HttpClient without a network, for tests of the engine and the daemon whose subject is not
// HTTP itself: each URL answers from a script after a latency of fake time, and Poll moves the
// FakeClock forward to the next answer (never past its timeout), so a loop that would wait
// seconds runs in microseconds and never sleeps.
//
// A URL with no script fails like a refused connection; Stall makes one time out after the
// request's own timeout. Mail is refused unless OnMail scripts it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "tests/support/support.h"

namespace feedwatch::testing {

class FakeHttpClient final : public net::HttpClient {
 public:
  using Handler = std::function<Result<net::Response>(const net::Request&)>;

  explicit FakeHttpClient(FakeClock& clock) : clock_(clock) {}

  // Requests for `url` are answered by `handler`, `latency` after they start.
  void On(const std::string& url, Handler handler,
          std::chrono::milliseconds latency = std::chrono::milliseconds(10));
  // `url` answers 200 with `body` (and `content_type`).
  void Serve(const std::string& url, std::string body,
             std::string content_type = "application/rss+xml");
  // Requests for `url` never answer: they fail with a timeout after the request's timeout.
  void Stall(const std::string& url);
  void OnMail(std::function<Result<net::Response>(const net::MailRequest&)> handler);

  // A response with `status`, `body` and `headers` (names in lower case).
  static net::Response Reply(long status, std::string body = "",
                             std::vector<std::pair<std::string, std::string>> headers = {});
  // The value of request header `name` ("If-None-Match"), or "".
  static std::string Header(const net::Request& request, std::string_view name);

  // Requests started for `url` so far.
  int Hits(const std::string& url) const;
  const std::vector<net::Request>& requests() const { return requests_; }
  // Most transfers in flight at once so far.
  size_t peak_active() const { return peak_active_; }

  void Start(const net::Request& request, Callback done) override;
  void StartMail(const net::MailRequest& request, Callback done) override;
  bool Poll(std::chrono::milliseconds timeout, int wake_fd) override;
  size_t active() const override { return pending_.size(); }
  void CancelAll() override { pending_.clear(); }

 private:
  struct Pending {
    Result<net::Response> result;
    Callback done;
  };
  void Answer(MonoTime at, Result<net::Response> result, Callback done);

  FakeClock& clock_;
  std::map<std::string, Handler> handlers_;
  std::map<std::string, std::chrono::milliseconds> latency_;
  std::function<Result<net::Response>(const net::MailRequest&)> mail_;
  std::vector<net::Request> requests_;
  // By when they answer, then by start order.
  std::multimap<std::pair<MonoTime, std::uint64_t>, Pending> pending_;
  std::uint64_t started_ = 0;
  size_t peak_active_ = 0;
};

}  // namespace feedwatch::testing
