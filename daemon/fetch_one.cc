#include "daemon/fetch_one.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/config.h"
#include "net/http_client.h"

namespace feedwatch::daemon {

Result<Document> FetchOne(const std::string& file_or_url, const std::string& user_agent) {
  Document document;
  document.options.max_items = static_cast<size_t>(config::FeedConfig{}.max_items);
  document.options.max_parse_time = config::HttpSettings{}.max_parse_time;
  if (!file_or_url.starts_with("http://") && !file_or_url.starts_with("https://")) {
    std::ifstream in(file_or_url, std::ios::binary);
    if (!in) {
      const int error = errno;
      std::string message = file_or_url + ": " + std::strerror(error);
      return error == ENOENT ? Error::NotFound(std::move(message)) : Error::Io(std::move(message));
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (in.bad()) return Error::Io(file_or_url + ": read failed");
    document.bytes = std::move(bytes).str();
    return document;
  }

  const std::unique_ptr<net::HttpClient> http =
      net::HttpClient::Create({.max_transfers = 1, .user_agent = user_agent});
  std::optional<Result<net::Response>> result;
  net::Request request;
  request.url = file_or_url;
  http->Start(request, [&](Result<net::Response> r) { result = std::move(r); });
  while (!result) http->Poll(std::chrono::milliseconds(1000));
  if (!*result) return result->error();
  net::Response& response = **result;
  if (response.status < 200 || response.status > 299) {
    return Error::HttpStatus(file_or_url + ": HTTP " + std::to_string(response.status));
  }
  document.options.base_url = response.effective_url.empty() ? file_or_url : response.effective_url;
  document.options.content_type = response.Header("content-type");
  document.bytes = std::move(response.body);
  return document;
}

}  // namespace feedwatch::daemon
