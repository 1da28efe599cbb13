#include "daemon/fetch_one.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/config.h"
#include "net/http_client.h"

namespace feedwatch::daemon {

std::string UserAgent() { return std::string("feedwatch/") + FEEDWATCH_VERSION; }

net::Request FeedRequest(const config::HttpSettings& http,
                         std::shared_ptr<const net::AddressSet> internal, const std::string& url,
                         std::string_view etag, std::string_view last_modified) {
  net::Request request;
  request.url = url;
  request.allow_file = url.starts_with("file:");
  request.timeout = http.timeout;
  request.connect_timeout = http.connect_timeout;
  request.low_speed_time = http.low_speed_time;
  request.max_body = http.max_body;
  request.ca_file = http.ca_file;
  request.proxy = http.proxy;
  request.internal = std::move(internal);
  request.headers = {
      "Accept: application/rss+xml, application/atom+xml, application/feed+json, "
      "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"};
  // Conditional GET: a server that knows the validators answers 304 and sends nothing.
  if (!etag.empty()) request.headers.push_back("If-None-Match: " + std::string(etag));
  if (!last_modified.empty()) {
    request.headers.push_back("If-Modified-Since: " + std::string(last_modified));
  }
  return request;
}

Result<Document> FetchOne(const std::string& file_or_url, const config::HttpSettings& http) {
  Document document;
  document.options.max_items = static_cast<size_t>(config::FeedConfig{}.max_items);
  document.options.max_parse_time = http.max_parse_time;
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

  const std::unique_ptr<net::HttpClient> client =
      net::HttpClient::Create({.max_transfers = 1, .user_agent = UserAgent()});
  Result<net::AddressSet> internal = net::AddressSet::Parse(http.internal_networks);
  if (!internal) return internal.error();
  std::optional<Result<net::Response>> result;
  const net::Request request =
      FeedRequest(http, std::make_shared<const net::AddressSet>(std::move(*internal)), file_or_url);
  client->Start(request, [&](Result<net::Response> r) { result = std::move(r); });
  while (!result) client->Poll(std::chrono::milliseconds(1000));
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
