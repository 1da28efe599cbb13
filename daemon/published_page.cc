#include "daemon/published_page.h"

#include "base/hash.h"
#include "base/text.h"
#include "feeds/date.h"
#include "notify/email.h"

namespace feedwatch::daemon {
namespace {

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Whether an If-None-Match value names `etag`: a list of tags, compared weakly (RFC 9110,
// 13.1.2: a "W/" prefix is ignored, so a proxy that compresses the page and weakens its tag
// still gets its 304), or "*".
bool NamesTag(std::string_view header, std::string_view etag) {
  const auto opaque = [](std::string_view tag) {
    tag = Trimmed(tag);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    return tag;
  };
  while (!header.empty()) {
    const size_t comma = header.find(',');
    const std::string_view tag = Trimmed(header.substr(0, comma));
    if (tag == "*" || (!tag.empty() && opaque(tag) == opaque(etag))) return true;
    header = comma == std::string_view::npos ? "" : header.substr(comma + 1);
  }
  return false;
}

}  // namespace

PublishedPage PublishedPage::Of(std::string body, TimePoint updated) {
  PublishedPage page;
  page.etag = "\"" + Sha256Hex(body).substr(0, 32) + "\"";
  page.last_modified = notify::FormatRfc5322Date(updated);
  if (page.last_modified.ends_with("+0000")) {
    page.last_modified.replace(page.last_modified.size() - 5, 5, "GMT");
  }
  page.modified = updated;
  page.body = std::make_shared<const std::string>(std::move(body));
  return page;
}

net::HttpListener::Reply PublishedPage::Answer(const net::HttpListener::Request& request,
                                               std::string content_type,
                                               std::vector<std::string> headers) const {
  headers.push_back("ETag: " + etag);
  headers.push_back("Last-Modified: " + last_modified);
  headers.emplace_back("Cache-Control: no-cache");
  // If-None-Match decides when sent; else If-Modified-Since, a date at or after this one.
  bool fresh = false;
  if (!request.if_none_match.empty()) {
    fresh = NamesTag(request.if_none_match, etag);
  } else if (!request.if_modified_since.empty()) {
    const std::optional<TimePoint> since = feeds::ParseDate(request.if_modified_since);
    fresh = since && *since >= modified;
  }
  if (fresh) return {304, std::move(content_type), "", std::move(headers), nullptr};
  return {200, std::move(content_type), "", std::move(headers), body};
}

bool TokenAdmits(const std::map<std::string, std::string>& tokens, const std::string& name,
                 std::string_view token) {
  const auto expected = tokens.find(name);
  const bool equal =
      SecretEquals(token, expected != tokens.end() ? std::string_view(expected->second)
                                                   : std::string_view("\n"));
  return expected != tokens.end() && equal;
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
