// The listener over real sockets on 127.0.0.1: its routes, and each limit it keeps, each with
// small limits so that a test takes milliseconds and shows the limit both holding and ending.
#include "net/http_listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <thread>

#include "tests/support/support.h"

namespace feedwatch::net {
namespace {

using namespace std::chrono_literals;
using Reply = HttpListener::Reply;
using Request = HttpListener::Request;
using SteadyClock = std::chrono::steady_clock;

// How long a test waits for what must happen before it fails; never how long it waits for
// something not to happen.
constexpr auto kPatience = 10s;

std::unique_ptr<HttpListener> Listen(std::map<std::string, HttpListener::Handler> routes,
                                     const HttpListener::Limits& limits = {}) {
  Result<std::unique_ptr<HttpListener>> listener =
      HttpListener::Start("127.0.0.1:0", std::move(routes), limits);
  EXPECT_TRUE(listener.ok()) << listener.error().message;
  return listener.ok() ? std::move(*listener) : nullptr;
}

int PortOf(const HttpListener& listener) {
  const std::string& address = listener.address();
  return std::stoi(address.substr(address.rfind(':') + 1));
}

Reply Healthy(const Request& /*request*/) { return Reply::Plain(200, "ok\n"); }

// A route answering with `body`, shared.
HttpListener::Handler Serving(std::shared_ptr<const std::string> body) {
  return [body = std::move(body)](const Request& /*request*/) {
    Reply reply;
    reply.shared_body = body;
    return reply;
  };
}

// A connection to the listener; -1 on failure. `receive_buffer` > 0 shrinks the socket's
// receive buffer (to the kernel's least), for a client that takes its answer slowly.
int Connect(int port, int receive_buffer = 0) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

struct Received {
  std::string bytes;
  bool closed = false;  // the listener closed the connection (else kPatience ran out)
};

// What arrives on `fd` until the listener closes it, or kPatience has passed.
Received ReadToEnd(int fd) {
  Received received;
  const auto deadline = SteadyClock::now() + kPatience;
  std::array<char, 65536> buffer{};
  while (SteadyClock::now() < deadline) {
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, 100) <= 0) continue;
    const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) {  // 0: closed; <0: reset, as when the listener closes with bytes unread
      received.closed = true;
      return received;
    }
    received.bytes.append(buffer.data(), static_cast<size_t>(n));
  }
  return received;
}

// `request` sent on a new connection, and the whole answer.
std::string Exchange(int port, std::string_view request) {
  const int fd = Connect(port);
  if (fd < 0) return "(cannot connect)";
  SendAll(fd, request);
  Received answer = ReadToEnd(fd);
  close(fd);
  return answer.closed ? answer.bytes : answer.bytes + "(not closed)";
}

std::string StatusLine(const std::string& answer) { return answer.substr(0, answer.find("\r\n")); }

std::string Body(const std::string& answer) {
  const size_t end = answer.find("\r\n\r\n");
  return end == std::string::npos ? "" : answer.substr(end + 4);
}

std::string Get(int port, std::string_view path) {
  return Exchange(port, "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n");
}

TEST(HttpListener, ServesExactRoutesAndRoutesEndingInAStar) {
  const auto listener = Listen(
      {{"/healthz", Healthy}, {"/feeds/*", [](const Request& request) {
                                 return Reply::Plain(200, request.path + " ? " + request.query);
                               }}});
  ASSERT_NE(listener, nullptr);
  const int port = PortOf(*listener);
  EXPECT_EQ(Get(port, "/healthz"),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            "Connection: close\r\n\r\nok\n");
  EXPECT_EQ(Body(Get(port, "/feeds/desk.atom?token=a%20b")), "/feeds/desk.atom ? token=a%20b");
  EXPECT_EQ(Body(Get(port, "/feeds/")), "/feeds/ ? ");
  for (const char* path : {"/healthz/more", "/feeds", "/", "/metrics"}) {
    const std::string answer = Get(port, path);
    EXPECT_EQ(StatusLine(answer), "HTTP/1.1 404 Not Found") << path;
    EXPECT_EQ(Body(answer), "not found\n") << path;
  }
}

TEST(HttpListener, AnswersHeadWithoutABodyAndRefusesOtherMethodsAndBadRequestLines) {
  const auto listener = Listen({{"/healthz", Healthy}});
  ASSERT_NE(listener, nullptr);
  const int port = PortOf(*listener);
  const std::string head = Exchange(port, "HEAD /healthz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(StatusLine(head), "HTTP/1.1 200 OK");
  EXPECT_NE(head.find("\r\nContent-Length: 3\r\n"), std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;

  const std::string post = Exchange(port, "POST /healthz HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(StatusLine(post), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_NE(post.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos) << post;

  for (const char* request :
       {"GET /healthz\r\n\r\n", "GET /healthz SPDY/3\r\n\r\n", "GET\r\n\r\n", "\r\n\r\n"}) {
    const std::string answer = Exchange(port, request);
    EXPECT_EQ(StatusLine(answer), "HTTP/1.1 400 Bad Request") << request;
    EXPECT_EQ(Body(answer), "bad request line\n") << request;
  }
}

TEST(HttpListener, GivesHandlersTheConditionalHeadersAndSendsTheirs) {
  const auto listener = Listen({{"/feed", [](const Request& request) {
                                   Reply reply = Reply::Plain(
                                       request.if_none_match == "\"v1\"" ? 304 : 200,
                                       request.if_none_match + "|" + request.if_modified_since);
                                   reply.content_type = "application/atom+xml";
                                   reply.headers = {"ETag: \"v1\""};
                                   return reply;
                                 }}});
  ASSERT_NE(listener, nullptr);
  const int port = PortOf(*listener);
  // Names in any case; values trimmed of spaces and tabs.
  const std::string answer = Exchange(port,
                                      "GET /feed HTTP/1.1\r\nif-NONE-match: \t\"v1\" \r\n"
                                      "If-Modified-Since: Sat, 01 Mar 2025 10:00:00 GMT\r\n\r\n");
  EXPECT_EQ(answer,
            "HTTP/1.1 304 Not Modified\r\nContent-Type: application/atom+xml\r\n"
            "Content-Length: 34\r\nConnection: close\r\nETag: \"v1\"\r\n\r\n"
            "\"v1\"|Sat, 01 Mar 2025 10:00:00 GMT");
  EXPECT_EQ(Body(Get(port, "/feed")), "|");
}

TEST(HttpListener, AnswersARequestWhoseLinesEndInABareLf) {
  const auto listener = Listen({{"/healthz", [](const Request& request) {
                                   return Reply::Plain(200, "ok " + request.if_none_match + "\n");
                                 }}});
  ASSERT_NE(listener, nullptr);
  for (const char* request : {"GET /healthz HTTP/1.1\nHost: x\nIf-None-Match: \"a\"\n\n",
                              "GET /healthz HTTP/1.1\r\nIf-None-Match: \"a\"\n\r\n"}) {
    const std::string answer = Exchange(PortOf(*listener), request);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
    EXPECT_TRUE(answer.ends_with("\r\n\r\nok \"a\"\n")) << answer;
  }
}

TEST(HttpListener, AMalformedAddressIsInvalidInputAndATakenPortANetworkError) {
  for (const char* address :
       {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "example.com:80", ":80"}) {
    const Result<std::unique_ptr<HttpListener>> listener =
        HttpListener::Start(address, {{"/healthz", Healthy}});
    ASSERT_FALSE(listener.ok()) << address;
    EXPECT_EQ(listener.error().code, Error::Code::kInvalidInput) << address;
    EXPECT_EQ(listener.error().message,
              "\"" + std::string(address) +
                  "\": expected ADDRESS:PORT, like 127.0.0.1:9464 or [::1]:9464");
  }
  const Result<std::unique_ptr<HttpListener>> local =
      HttpListener::Start("localhost:0", {{"/healthz", Healthy}});
  ASSERT_TRUE(local.ok()) << local.error().message;
  EXPECT_TRUE((*local)->address().starts_with("127.0.0.1:")) << (*local)->address();
  EXPECT_NE(PortOf(**local), 0);

  const Result<std::unique_ptr<HttpListener>> again =
      HttpListener::Start((*local)->address(), {{"/healthz", Healthy}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Error::Code::kNetwork);
  EXPECT_TRUE(
      again.error().message.starts_with("\"" + (*local)->address() + "\": cannot listen there: "))
      << again.error().message;
}

// A request for /healthz whose head is `size` bytes, padded with one header.
std::string HeadOfSize(size_t size) {
  const std::string start = "GET /healthz HTTP/1.1\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  return start + std::string(size - start.size() - end.size(), 'p') + end;
}

TEST(HttpListener, ReadsAHeadUpToMaxRequestBytesAndAnswers431PastIt) {
  const auto listener = Listen({{"/healthz", Healthy}}, {.max_request_bytes = 1024});
  ASSERT_NE(listener, nullptr);
  const int port = PortOf(*listener);
  EXPECT_EQ(StatusLine(Exchange(port, HeadOfSize(1024))), "HTTP/1.1 200 OK");
  for (const size_t size : {1025, 1026, 5000}) {
    const std::string answer = Exchange(port, HeadOfSize(size));
    EXPECT_EQ(StatusLine(answer), "HTTP/1.1 431 Request Header Fields Too Large") << size;
    EXPECT_EQ(Body(answer), "request head too large\n") << size;
  }
  // A head that never ends is cut at the limit too, however much more is sent.
  const int fd = Connect(port);
  SendAll(fd, "GET /healthz HTTP/1.1\r\nX-Pad: " + std::string(100'000, 'p'));
  const Received answer = ReadToEnd(fd);
  close(fd);
  EXPECT_TRUE(answer.closed);
  EXPECT_EQ(StatusLine(answer.bytes), "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST(HttpListener, TakesMaxHeadersAndAnswers431PastThem) {
  const auto listener = Listen({{"/healthz", Healthy}}, {.max_headers = 3});
  ASSERT_NE(listener, nullptr);
  const std::string three = "GET /healthz HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n";
  EXPECT_EQ(StatusLine(Exchange(PortOf(*listener), three + "\r\n")), "HTTP/1.1 200 OK");
  const std::string answer = Exchange(PortOf(*listener), three + "D: 4\r\n\r\n");
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(Body(answer), "too many headers\n");
}

TEST(HttpListener, AnswersWithoutWaitingForABody) {
  const auto listener = Listen({{"/healthz", Healthy}});
  ASSERT_NE(listener, nullptr);
  // 100 MB announced, 4 bytes sent: the answer comes at once, and the connection closes.
  const std::string answer =
      Exchange(PortOf(*listener), "GET /healthz HTTP/1.1\r\nContent-Length: 100000000\r\n\r\nbody");
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 200 OK");
  EXPECT_EQ(Body(answer), "ok\n");
}

TEST(HttpListener, ClosesAConnectionThatHasNotSentItsHeadWithinHeaderTimeout) {
  const auto listener = Listen({{"/healthz", Healthy}}, {.header_timeout = 300ms});
  ASSERT_NE(listener, nullptr);
  const int fd = Connect(PortOf(*listener));
  const auto start = SteadyClock::now();
  // A header line every 50 ms: a client that keeps sending is timed from its connect all the
  // same.
  SendAll(fd, "GET /healthz HTTP/1.1\r\n");
  bool closed = false;
  while (!closed && SteadyClock::now() - start < kPatience) {
    SendAll(fd, "X-Slow: yes\r\n");
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, 50) > 0) {
      std::array<char, 256> buffer{};
      closed = recv(fd, buffer.data(), buffer.size(), 0) <= 0;
    }
  }
  const auto took = SteadyClock::now() - start;
  close(fd);
  EXPECT_TRUE(closed) << "still open after " << kPatience.count() << " s";
  EXPECT_GE(took, 300ms);
  // Others are served meanwhile and after.
  EXPECT_EQ(StatusLine(Get(PortOf(*listener), "/healthz")), "HTTP/1.1 200 OK");
}

TEST(HttpListener, ClosesAConnectionThatHasNotTakenItsAnswerWithinWriteTimeout) {
  // One large answer at a time: the slot shows whether the reader that does not read still
  // holds it.
  const auto big = std::make_shared<const std::string>(size_t{16} << 20, 'x');
  const auto listener =
      Listen({{"/big", Serving(big)}}, {.write_timeout = 300ms, .max_large_answers = 1});
  ASSERT_NE(listener, nullptr);
  const int port = PortOf(*listener);
  const int stuck = Connect(port, /*receive_buffer=*/1);
  SendAll(stuck, "GET /big HTTP/1.1\r\n\r\n");
  // The slot is taken as soon as the request is read; until then another may take it.
  std::string busy;
  for (auto start = SteadyClock::now(); SteadyClock::now() - start < kPatience;) {
    busy = Get(port, "/big");
    if (StatusLine(busy) == "HTTP/1.1 503 Service Unavailable") break;
  }
  EXPECT_EQ(StatusLine(busy), "HTTP/1.1 503 Service Unavailable");
  EXPECT_NE(busy.find("\r\nRetry-After: 5\r\n"), std::string::npos) << busy.substr(0, 200);
  // The stuck reader is dropped at its write timeout, and its slot is free again.
  std::string whole;
  for (auto start = SteadyClock::now(); SteadyClock::now() - start < kPatience;) {
    whole = Get(port, "/big");
    if (StatusLine(whole) == "HTTP/1.1 200 OK") break;
  }
  EXPECT_EQ(StatusLine(whole), "HTTP/1.1 200 OK");
  EXPECT_EQ(Body(whole).size(), big->size());
  // It got part of the answer, and then the end of the connection.
  const Received partial = ReadToEnd(stuck);
  close(stuck);
  EXPECT_TRUE(partial.closed);
  EXPECT_LT(partial.bytes.size(), big->size());
}

TEST(HttpListener, MakesRoomPastMaxConnectionsByClosingTheOldestStillSendingItsHead) {
  const auto listener = Listen({{"/healthz", Healthy}}, {.max_connections = 4});
  ASSERT_NE(listener, nullptr);
  const int port = PortOf(*listener);
  std::vector<int> idle(4);
  for (int& fd : idle) fd = Connect(port);
  // A fifth: the listener closes the first idle one and answers it.
  EXPECT_EQ(StatusLine(Get(port, "/healthz")), "HTTP/1.1 200 OK");
  const Received first = ReadToEnd(idle[0]);
  EXPECT_TRUE(first.closed);
  EXPECT_EQ(first.bytes, "");
  // The second is still open and is answered when it asks.
  SendAll(idle[1], "GET /healthz HTTP/1.1\r\n\r\n");
  const Received second = ReadToEnd(idle[1]);
  EXPECT_EQ(StatusLine(second.bytes), "HTTP/1.1 200 OK");
  for (const int fd : idle) close(fd);
}

TEST(HttpListener, RefusesANewConnectionWhenEveryOneIsBeingAnswered) {
  const auto big = std::make_shared<const std::string>(size_t{16} << 20, 'x');
  const auto listener =
      Listen({{"/big", Serving(big)}, {"/healthz", Healthy}}, {.max_connections = 2});
  ASSERT_NE(listener, nullptr);
  const int port = PortOf(*listener);
  // Two are being answered (their answers have begun to arrive) and read no further.
  std::vector<int> stuck;
  for (int i = 0; i < 2; ++i) {
    stuck.push_back(Connect(port, /*receive_buffer=*/1));
    SendAll(stuck.back(), "GET /big HTTP/1.1\r\n\r\n");
    pollfd ready{stuck.back(), POLLIN, 0};
    ASSERT_EQ(poll(&ready, 1, static_cast<int>(kPatience / 1ms)), 1);
    std::array<char, 16> status{};
    ASSERT_EQ(recv(stuck.back(), status.data(), status.size(), 0), 16);
    EXPECT_EQ(std::string(status.data(), status.size()), "HTTP/1.1 200 OK\r");
  }
  // A third is closed unanswered.
  EXPECT_EQ(Get(port, "/healthz"), "");
  for (const int fd : stuck) close(fd);
  // Their connections end (the listener's next write fails), and the door opens again.
  std::string answer;
  for (auto start = SteadyClock::now(); SteadyClock::now() - start < kPatience;) {
    answer = Get(port, "/healthz");
    if (!answer.empty()) break;
  }
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 200 OK");
}

// Clients that ask for a large answer and never read it hold their slots until the write
// timeout; past max_large_answers the next is told to come back, and /healthz keeps being
// answered at once. The answer is shared by its readers, not copied.
TEST(HttpListener, SlowReadersOfALargeAnswerLeaveRoomForSmallOnesAndShareIt) {
  const auto big = std::make_shared<const std::string>(size_t{15} << 20, 'x');
  const HttpListener::Limits limits;
  const auto listener = Listen({{"/big", Serving(big)}, {"/healthz", Healthy}}, limits);
  ASSERT_NE(listener, nullptr);
  const int port = PortOf(*listener);
  const size_t heap_before = testing::LiveHeapBytes();
  std::vector<int> stuck;
  for (size_t i = 0; i < limits.max_large_answers + 16; ++i) {
    stuck.push_back(Connect(port, /*receive_buffer=*/1));
    ASSERT_GE(stuck.back(), 0);
    SendAll(stuck.back(), "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  // Every slot taken: the next reader is told to come back.
  std::string busy;
  for (auto start = SteadyClock::now(); SteadyClock::now() - start < kPatience;) {
    busy = Get(port, "/big");
    if (StatusLine(busy) == "HTTP/1.1 503 Service Unavailable") break;
  }
  EXPECT_EQ(StatusLine(busy), "HTTP/1.1 503 Service Unavailable");
  const size_t heap_with_readers = testing::LiveHeapBytes();
  for (int i = 0; i < 10; ++i) {
    const auto start = SteadyClock::now();
    EXPECT_EQ(Body(Get(port, "/healthz")), "ok\n") << "round " << i;
    EXPECT_LT(SteadyClock::now() - start, 1s) << "round " << i;
  }
  // Less than one more copy of the answer for all of them.
  EXPECT_LT(heap_with_readers - std::min(heap_with_readers, heap_before), big->size())
      << "live heap " << heap_before << " bytes before the readers, " << heap_with_readers
      << " with them";
  for (const int fd : stuck) close(fd);
  // A reader that reads gets all of it once the slots are free.
  std::string whole;
  for (auto start = SteadyClock::now(); SteadyClock::now() - start < kPatience;) {
    whole = Get(port, "/big");
    if (StatusLine(whole) == "HTTP/1.1 200 OK") break;
  }
  EXPECT_EQ(StatusLine(whole), "HTTP/1.1 200 OK");
  EXPECT_EQ(Body(whole).size(), big->size());
}

}  // namespace
}  // namespace feedwatch::net
