// Non-blocking HTTP and SMTP transfers on one curl multi handle, driven by the caller's event
// loop.
//
// Threading: one thread owns an HttpClient and makes every call on it; completion callbacks run
// on that thread, inside Poll(). A callback may Start() new transfers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "net/address.h"

namespace feedwatch::net {

struct Request {
  std::string url;
  // "Name: value". A header carrying CR, LF or NUL is not sent: those would split it into
  // headers of someone else's choosing.
  std::vector<std::string> headers;
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
  // Cut a transfer that receives under 100 bytes/s for this long (a stalled server); 0 disables.
  std::chrono::milliseconds low_speed_time{30'000};
  std::string ca_file;  // empty: the system's CA store
  std::string proxy;    // empty: http_proxy, https_proxy, no_proxy from the environment
  std::uint64_t max_body = 10ULL << 20;  // decoded bytes; the transfer is aborted past it
  bool allow_file = false;               // file:// is refused unless the caller allows it
  // With a body the request is a POST (or `put`: a PUT); "Content-Type: ..." belongs in
  // `headers`.
  std::optional<std::string> post_body;
  bool put = false;
  bool follow_redirects = true;  // false: a 3xx is the response
  // When set: a redirect that leads from an address outside this set to one inside it fails
  // the transfer ("redirect from A to internal address B refused"), judged by the address
  // actually connected to, not the name. A request whose first address is inside may go
  // anywhere.
  std::shared_ptr<const AddressSet> internal;
  // With `internal`: no request of the transfer may go to an address inside it, the first
  // included ("link to internal address B refused"). For URLs that a feed wrote, such as an
  // item's link, which must not lead the daemon into the networks it stands in.
  bool outside_only = false;
};

// One message submitted over SMTP: the envelope and the RFC 5322 text.
struct MailRequest {
  std::string url;   // smtp://host[:port] (STARTTLS) or smtps://host[:port] (TLS from the start)
  std::string from;  // envelope sender: an address, no display name
  std::vector<std::string> to;  // envelope recipients
  std::string message;          // headers and body, CRLF line ends; dot-stuffing is curl's job
  std::string username;         // empty: no AUTH
  std::string password;
  // smtp:// only: true fails unless the server offers STARTTLS; false uses it when offered.
  bool require_tls = true;
  std::string ca_file;  // empty: the system's CA store
  std::chrono::milliseconds timeout{60'000};
  std::chrono::milliseconds connect_timeout{10'000};
};

struct Response {
  // The HTTP status; 200 for a file:// read; for mail, the SMTP server's last reply code.
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, last response
  std::string body;           // for a mail the server refused, what curl says it answered
  std::string effective_url;  // after redirects
  // Redirects were followed and every one was permanent (301 or 308): effective_url is the
  // resource's new address.
  bool moved_permanently = false;
  // The request was made with Request::internal, and its last request went to an address
  // inside it.
  bool from_internal = false;

  // Past kMaxHeaderBytes of headers in one response the transfer fails.
  static constexpr size_t kMaxHeaderBytes = 256 * 1024;

  // The value of the first header named `name` (lower-case), or "".
  std::string Header(std::string_view name) const;
};

// Transfers driven by the caller's loop. The daemon uses the curl implementation (Create);
// unit tests use a scripted fake (tests/support/fake_http_client.h) that answers without a
// network.
class HttpClient {
 public:
  // Errors: Network (DNS, connect, TLS, reset; the message says which), Timeout, TooLarge.
  // An HTTP error status is a Response, not an Error.
  using Callback = std::function<void(Result<Response>)>;

  struct Options {
    int max_transfers = 32;  // at once; more wait in curl's queue
    std::string user_agent;
  };

  // Transfers on one curl multi handle.
  static std::unique_ptr<HttpClient> Create(const Options& options);
  virtual ~HttpClient() = default;

  virtual void Start(const Request& request, Callback done) = 0;

  // Submits a mail. A reply code of 400 or more from the server is a Response with that status,
  // whatever the SMTP stage; an Error means no such answer (connect, TLS, timeout).
  virtual void StartMail(const MailRequest& request, Callback done) = 0;

  // Runs transfers, waiting up to `timeout` for network activity or for `wake_fd` (when >= 0)
  // to become readable, then calls the callbacks of finished transfers. Returns true when
  // wake_fd is readable.
  virtual bool Poll(std::chrono::milliseconds timeout, int wake_fd = -1) = 0;

  virtual size_t active() const = 0;

  // Aborts every transfer without calling its callback. Meant for shutdown: it does not wait for
  // DNS lookups in flight, whose resolver threads are abandoned until the process exits.
  virtual void CancelAll() = 0;
};

}  // namespace feedwatch::net
