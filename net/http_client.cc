#include "net/http_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

#include "base/text.h"

namespace feedwatch::net {
namespace {

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* recipients = nullptr;  // mail
  std::string upload;                // mail: the message
  size_t uploaded = 0;
  bool mail = false;
  HttpClient::Callback done;
  Response response;
  std::uint64_t max_body = 0;
  std::chrono::milliseconds timeout{};
  bool too_large = false;
  size_t header_bytes = 0;
  std::shared_ptr<const AddressSet> internal;
  std::string origin_address;  // the first request's, when `internal` is set
  bool origin_internal = false;
  bool outside_only = false;   // Request::outside_only
  std::string refused;         // why the transfer was stopped before a request, if it was
  std::vector<long> statuses;  // of every response in the redirect chain
  std::array<char, CURL_ERROR_SIZE> error{};

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    curl_slist_free_all(recipients);
  }
};

size_t OnUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = std::min(size * count, transfer->upload.size() - transfer->uploaded);
  std::copy_n(transfer->upload.data() + transfer->uploaded, n, buffer);
  transfer->uploaded += n;
  return n;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > transfer->max_body) {
    transfer->too_large = true;
    return 0;  // aborts with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  transfer->header_bytes += bytes;
  if (transfer->header_bytes > Response::kMaxHeaderBytes) {
    transfer->refused =
        "response headers larger than " + std::to_string(Response::kMaxHeaderBytes / 1024) + " KiB";
    return 0;  // aborts with CURLE_WRITE_ERROR
  }
  std::string_view line(data, bytes);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    transfer->response.headers.clear();  // a new response after a redirect or 100 Continue
    const size_t space = line.find(' ');
    const long status = space == std::string_view::npos ? 0 : std::atol(line.data() + space + 1);
    if (status >= 200) transfer->statuses.push_back(status);  // 1xx are not responses
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name = AsciiLower(line.substr(0, colon));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  transfer->response.headers.emplace_back(std::move(name), std::string(value));
  return bytes;
}

// Before each request of a transfer (the first, and one per redirect), on the connection it will
// use: refuses a redirect from an external address to an internal one.
int OnRequest(void* user, char* address, char* /*local_address*/, int /*port*/,
              int /*local_port*/) {
  auto* transfer = static_cast<Transfer*>(user);
  const bool internal = transfer->internal->Contains(address);
  transfer->response.from_internal = internal;
  if (internal && transfer->outside_only) {
    transfer->refused = "link to internal address " + std::string(address) + " refused";
    return CURL_PREREQFUNC_ABORT;
  }
  if (transfer->origin_address.empty()) {
    transfer->origin_address = address;
    transfer->origin_internal = internal;
    return CURL_PREREQFUNC_OK;
  }
  if (transfer->origin_internal || !internal) return CURL_PREREQFUNC_OK;
  transfer->refused = "redirect from " + transfer->origin_address + " to internal address " +
                      std::string(address) + " refused";
  return CURL_PREREQFUNC_ABORT;
}

// Before each connection of a transfer with Request::outside_only: an address inside
// `internal` is not connected to at all (not a SYN), so that a feed's links cannot probe the
// networks the daemon stands in. Behind a proxy the address is the proxy's.
curl_socket_t OnOpenSocket(void* user, curlsocktype /*purpose*/, curl_sockaddr* address) {
  auto* transfer = static_cast<Transfer*>(user);
  std::array<char, INET6_ADDRSTRLEN> text{};
  const void* bytes = nullptr;
  if (address->family == AF_INET) {
    bytes = &reinterpret_cast<const sockaddr_in*>(&address->addr)->sin_addr;
  } else if (address->family == AF_INET6) {
    bytes = &reinterpret_cast<const sockaddr_in6*>(&address->addr)->sin6_addr;
  }
  if (bytes == nullptr || inet_ntop(address->family, bytes, text.data(),
                                    static_cast<socklen_t>(text.size())) == nullptr) {
    transfer->refused = "link to an address of an unknown family refused";
    return CURL_SOCKET_BAD;
  }
  if (transfer->internal->Contains(text.data())) {
    transfer->refused = "link to internal address " + std::string(text.data()) + " refused";
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

bool IsSafeHeader(std::string_view header) {
  return header.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

Error ErrorFor(CURLcode code, const Transfer& transfer) {
  if (!transfer.refused.empty()) return Error::Network(transfer.refused);
  if (transfer.too_large) {
    return Error::TooLarge("body larger than " + std::to_string(transfer.max_body) + " bytes");
  }
  std::string detail = transfer.error[0] != '\0' ? transfer.error.data() : curl_easy_strerror(code);
  if (code == CURLE_OPERATION_TIMEDOUT) {
    if (detail.find("too slow") != std::string::npos) {  // the low-speed limit
      return Error::Timeout("stalled: " + detail);
    }
    return Error::Timeout("timed out after " + std::to_string(transfer.timeout.count()) +
                          " ms: " + detail);
  }
  if (code == CURLE_TOO_MANY_REDIRECTS) return Error::Network("redirect loop: " + detail);
  return Error::Network(std::move(detail));
}

}  // namespace

std::string Response::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

// The curl implementation: one multi handle, driven by Poll.
class CurlHttpClient final : public HttpClient {
 public:
  struct Impl;
  explicit CurlHttpClient(std::unique_ptr<Impl> impl);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  void Start(const Request& request, Callback done) override;
  void StartMail(const MailRequest& request, Callback done) override;
  bool Poll(std::chrono::milliseconds timeout, int wake_fd) override;
  size_t active() const override;
  void CancelAll() override;

 private:
  // Calls the callbacks of finished transfers; true if there were any.
  bool FinishDone();
  std::unique_ptr<Impl> impl_;
};

struct CurlHttpClient::Impl {
  CURLM* multi = nullptr;
  std::string user_agent;
  std::unordered_map<const Transfer*, std::unique_ptr<Transfer>> transfers;

  ~Impl() {
    for (const auto& [key, t] : transfers) curl_multi_remove_handle(multi, t->easy);
    transfers.clear();
    curl_multi_cleanup(multi);
  }

  Transfer& NewTransfer(Callback done) {
    auto owned = std::make_unique<Transfer>();
    Transfer& t = *owned;
    transfers.emplace(&t, std::move(owned));
    t.easy = curl_easy_init();
    t.done = std::move(done);
    return t;
  }

  void Finish(Transfer* transfer, CURLcode code) {
    const auto node = transfers.extract(transfer);
    if (node.empty()) return;  // cancelled
    Transfer& t = *node.mapped();
    curl_multi_remove_handle(multi, t.easy);
    t.done(Outcome(t, code));
  }

  static Result<Response> Outcome(Transfer& t, CURLcode code) {
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &t.response.status);
    if (t.mail) {
      // curl fails the transfer when the server refuses a command; the refusal's code says
      // whether to try again (4xx) or not (5xx).
      if (code != CURLE_OK && t.response.status >= 400) {
        t.response.body = t.error[0] != '\0' ? t.error.data() : curl_easy_strerror(code);
        return std::move(t.response);
      }
      if (code != CURLE_OK) return ErrorFor(code, t);
      return std::move(t.response);
    }
    if (code != CURLE_OK) return ErrorFor(code, t);
    char* url = nullptr;
    curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &url);
    if (url != nullptr) t.response.effective_url = url;
    if (t.response.status == 0 && t.response.effective_url.starts_with("file:")) {
      t.response.status = 200;
    }
    t.response.moved_permanently =
        t.statuses.size() > 1 &&
        std::all_of(t.statuses.begin(), t.statuses.end() - 1,
                    [](long status) { return status == 301 || status == 308; });
    return std::move(t.response);
  }
};

CurlHttpClient::CurlHttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CurlHttpClient::~CurlHttpClient() = default;

std::unique_ptr<HttpClient> HttpClient::Create(const Options& options) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto impl = std::make_unique<CurlHttpClient::Impl>();
  impl->multi = curl_multi_init();
  impl->user_agent = options.user_agent;
  curl_multi_setopt(impl->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(options.max_transfers));
  return std::make_unique<CurlHttpClient>(std::move(impl));
}

namespace {

// What every transfer sets, HTTP or mail.
void SetCommon(Transfer& t, std::chrono::milliseconds timeout,
               std::chrono::milliseconds connect_timeout, const std::string& ca_file) {
  CURL* easy = t.easy;
  t.timeout = timeout;
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
  if (!ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error.data());
}

}  // namespace

void CurlHttpClient::Start(const Request& request, Callback done) {
  Transfer& t = impl_->NewTransfer(std::move(done));
  t.max_body = request.max_body;
  for (const std::string& header : request.headers) {
    if (IsSafeHeader(header)) t.headers = curl_slist_append(t.headers, header.c_str());
  }
  SetCommon(t, request.timeout, request.connect_timeout, request.ca_file);
  CURL* easy = t.easy;
  if (request.internal != nullptr) {
    t.internal = request.internal;
    t.outside_only = request.outside_only;
    curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &OnRequest);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, &t);
    if (request.outside_only) {
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &OnOpenSocket);
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &t);
    }
  }
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, request.allow_file ? "file" : "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
  if (request.low_speed_time.count() > 0) {
    // Under 100 bytes a second (curl averages over its recent samples) for that long: the
    // server has stalled. No feed server that is working is that slow.
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 100L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>(request.low_speed_time.count() / 1000)));
  }
  if (!request.proxy.empty()) curl_easy_setopt(easy, CURLOPT_PROXY, request.proxy.c_str());
  if (request.post_body) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.post_body->size()));
    curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, request.post_body->c_str());
    if (request.put) curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "PUT");
  }
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl decodes
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  if (t.headers != nullptr) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers);
  if (!impl_->user_agent.empty())
    curl_easy_setopt(easy, CURLOPT_USERAGENT, impl_->user_agent.c_str());
  curl_multi_add_handle(impl_->multi, easy);
}

void CurlHttpClient::StartMail(const MailRequest& request, Callback done) {
  Transfer& t = impl_->NewTransfer(std::move(done));
  t.mail = true;
  t.upload = request.message;
  for (const std::string& to : request.to) {
    t.recipients = curl_slist_append(t.recipients, ("<" + to + ">").c_str());
  }
  SetCommon(t, request.timeout, request.connect_timeout, request.ca_file);
  CURL* easy = t.easy;
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  // smtps:// is TLS from the first byte whatever this says; for smtp:// it decides whether
  // the connection may stay in clear text when the server offers no STARTTLS.
  curl_easy_setopt(
      easy, CURLOPT_USE_SSL,
      request.require_tls ? static_cast<long>(CURLUSESSL_ALL) : static_cast<long>(CURLUSESSL_TRY));
  curl_easy_setopt(easy, CURLOPT_MAIL_FROM, ("<" + request.from + ">").c_str());
  curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, t.recipients);
  if (!request.username.empty()) {
    curl_easy_setopt(easy, CURLOPT_USERNAME, request.username.c_str());
    curl_easy_setopt(easy, CURLOPT_PASSWORD, request.password.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.upload.size()));
  curl_easy_setopt(easy, CURLOPT_READFUNCTION, &OnUpload);
  curl_easy_setopt(easy, CURLOPT_READDATA, &t);
  curl_multi_add_handle(impl_->multi, easy);
}

bool CurlHttpClient::Poll(std::chrono::milliseconds timeout, int wake_fd) {
  int running = 0;
  curl_multi_perform(impl_->multi, &running);
  // A transfer that finished already (a file:// read, a refused connection) must not wait for
  // the timeout; nor may a wake_fd that is readable already.
  curl_waitfd extra{wake_fd, CURL_WAIT_POLLIN, 0};
  if (!FinishDone()) {
    curl_multi_poll(impl_->multi, wake_fd >= 0 ? &extra : nullptr, wake_fd >= 0 ? 1 : 0,
                    static_cast<int>(timeout.count()), nullptr);
    curl_multi_perform(impl_->multi, &running);
    FinishDone();
  } else if (wake_fd >= 0) {
    curl_multi_poll(impl_->multi, &extra, 1, 0, nullptr);
  }
  return (extra.revents & CURL_WAIT_POLLIN) != 0;
}

bool CurlHttpClient::FinishDone() {
  // Collect first: a callback may start transfers, and that must not disturb this loop.
  std::vector<std::pair<Transfer*, CURLcode>> finished;
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(impl_->multi, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    Transfer* transfer = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
    finished.emplace_back(transfer, message->data.result);
  }
  for (const auto& [transfer, code] : finished) impl_->Finish(transfer, code);
  return !finished.empty();
}

size_t CurlHttpClient::active() const { return impl_->transfers.size(); }

void CurlHttpClient::CancelAll() {
  for (const auto& [key, t] : impl_->transfers) {
    // Removing a handle whose DNS lookup is still running joins the resolver thread, which can
    // take as long as the lookup (seconds). The process is about to stop, so forget the thread
    // instead. Set only here: in normal operation a lookup that timed out is still joined, so a
    // long-running daemon leaks nothing.
    curl_easy_setopt(t->easy, CURLOPT_QUICK_EXIT, 1L);
    curl_multi_remove_handle(impl_->multi, t->easy);
  }
  impl_->transfers.clear();
}

}  // namespace feedwatch::net
