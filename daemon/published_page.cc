#include "daemon/published_page.h"

#include "base/hash.h"
#include "base/text.h"
#include "notify/email.h"

namespace feedwatch::daemon {

PublishedPage PublishedPage::Of(std::string body, TimePoint updated) {
  PublishedPage page;
  page.etag = "\"" + Sha256Hex(body).substr(0, 32) + "\"";
  page.last_modified = notify::FormatRfc5322Date(updated);
  if (page.last_modified.ends_with("+0000")) {
    page.last_modified.replace(page.last_modified.size() - 5, 5, "GMT");
  }
  page.body = std::make_shared<const std::string>(std::move(body));
  return page;
}

net::HttpListener::Reply PublishedPage::Answer(const net::HttpListener::Request& request,
                                               std::string content_type,
                                               std::vector<std::string> headers) const {
  headers.push_back("ETag: " + etag);
  headers.push_back("Last-Modified: " + last_modified);
  headers.emplace_back("Cache-Control: no-cache");
  const bool fresh = request.if_none_match.empty() ? request.if_modified_since == last_modified
                                                   : request.if_none_match == etag;
  if (fresh) return {304, std::move(content_type), "", std::move(headers), nullptr};
  return {200, std::move(content_type), "", std::move(headers), body};
}

std::optional<std::string> QueryToken(std::string_view query) {
  std::optional<std::string> token = "";
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.starts_with("token=")) token = PercentDecode(pair.substr(6));
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
  }
  return token;
}

}  // namespace feedwatch::daemon
