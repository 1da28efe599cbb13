#include "tests/support/fake_http_client.h"

#include <poll.h>

#include <algorithm>

#include "base/text.h"

namespace feedwatch::testing {

void FakeHttpClient::On(const std::string& url, Handler handler,
                        std::chrono::milliseconds latency) {
  handlers_[url] = std::move(handler);
  latency_[url] = latency;
}

void FakeHttpClient::Serve(const std::string& url, std::string body, std::string content_type) {
  On(url, [body = std::move(body), type = std::move(content_type)](const net::Request&) {
    return Result<net::Response>(Reply(200, body, {{"content-type", type}}));
  });
}

void FakeHttpClient::Stall(const std::string& url) {
  On(url, [](const net::Request& request) {
    return Result<net::Response>(
        Error::Timeout("timed out after " + std::to_string(request.timeout.count()) + " ms"));
  });
  latency_[url] = std::chrono::milliseconds::max();
}

void FakeHttpClient::OnMail(std::function<Result<net::Response>(const net::MailRequest&)> handler) {
  mail_ = std::move(handler);
}

net::Response FakeHttpClient::Reply(long status, std::string body,
                                    std::vector<std::pair<std::string, std::string>> headers) {
  net::Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

std::string FakeHttpClient::Header(const net::Request& request, std::string_view name) {
  for (const std::string& header : request.headers) {
    const size_t colon = header.find(':');
    if (colon != std::string::npos && EqualsIgnoringCase(header.substr(0, colon), name)) {
      return header.substr(header.find_first_not_of(' ', colon + 1));
    }
  }
  return "";
}

int FakeHttpClient::Hits(const std::string& url) const {
  return static_cast<int>(std::count_if(requests_.begin(), requests_.end(),
                                        [&](const net::Request& r) { return r.url == url; }));
}

void FakeHttpClient::Answer(MonoTime at, Result<net::Response> result, Callback done) {
  pending_.emplace(std::pair(at, started_++), Pending{std::move(result), std::move(done)});
  peak_active_ = std::max(peak_active_, pending_.size());
}

void FakeHttpClient::Start(const net::Request& request, Callback done) {
  requests_.push_back(request);
  const auto handler = handlers_.find(request.url);
  if (handler == handlers_.end()) {
    Answer(clock_.Monotonic(),
           Error::Network(request.url + ": Couldn't connect to server (no script for this URL)"),
           std::move(done));
    return;
  }
  Result<net::Response> result = handler->second(request);
  if (result && result->effective_url.empty()) result->effective_url = request.url;
  const std::chrono::milliseconds latency = latency_[request.url];
  const auto delay = latency == std::chrono::milliseconds::max() ? request.timeout : latency;
  Answer(clock_.Monotonic() + delay, std::move(result), std::move(done));
}

void FakeHttpClient::StartMail(const net::MailRequest& request, Callback done) {
  Result<net::Response> result =
      mail_ ? mail_(request) : Result<net::Response>(Error::Network(request.url + ": refused"));
  Answer(clock_.Monotonic() + std::chrono::milliseconds(10), std::move(result), std::move(done));
}

bool FakeHttpClient::Poll(std::chrono::milliseconds timeout, int wake_fd) {
  if (wake_fd >= 0) {
    pollfd fd{.fd = wake_fd, .events = POLLIN, .revents = 0};
    if (poll(&fd, 1, 0) > 0) return true;
  }
  const MonoTime deadline = clock_.Monotonic() + timeout;
  if (pending_.empty() || pending_.begin()->first.first > deadline) {
    clock_.Advance(timeout);
    return false;
  }
  const MonoTime at = pending_.begin()->first.first;
  if (at > clock_.Monotonic()) {
    clock_.Advance(std::chrono::duration_cast<std::chrono::milliseconds>(at - clock_.Monotonic()));
  }
  // Every answer due by now, in order; a callback may start more.
  while (!pending_.empty() && pending_.begin()->first.first <= clock_.Monotonic()) {
    auto node = pending_.extract(pending_.begin());
    node.mapped().done(std::move(node.mapped().result));
  }
  return false;
}

}  // namespace feedwatch::testing
