#include "feeds/canonical.h"

#include <algorithm>
#include <array>
#include <vector>

#include "base/text.h"

namespace feedwatch::feeds {
namespace {

bool IsTracking(std::string_view name) {
  static constexpr std::array<std::string_view, 22> kExact{
      "fbclid",  "gclid",  "dclid", "yclid",     "msclkid",     "mc_cid", "mc_eid", "_ga",
      "_gl",     "igshid", "ocid",  "cmpid",     "ref_src",     "xtor",   "_hsenc", "_hsmi",
      "mkt_tok", "spm",    "wt_mc", "at_medium", "at_campaign", "smid"};
  return name.starts_with("utm_") || std::find(kExact.begin(), kExact.end(), name) != kExact.end();
}

// "?from=rss", "?ref=feed", "?source=yrss": where the link was taken from, which news sites
// add to the links of their feeds. Only with such a value: `from` and `source` mean other
// things elsewhere.
bool IsFeedReferrer(std::string_view name, std::string_view value) {
  if (name != "from" && name != "ref" && name != "source" && name != "src") return false;
  const std::string lower = AsciiLower(value);
  return lower.find("rss") != std::string::npos || lower == "feed" || lower == "feeds";
}

bool IsAmpParameter(std::string_view name, std::string_view value) {
  return (name == "amp" && (value.empty() || value == "1" || value == "true")) ||
         (name == "outputtype" && AsciiLower(value) == "amp");
}

}  // namespace

std::string CanonicalUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const std::string scheme = AsciiLower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return std::string(url);
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));
  const size_t authority_end = rest.find_first_of("/?");
  std::string host = AsciiLower(rest.substr(0, authority_end));
  rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if ((scheme == "http" && host.ends_with(":80")) ||
      (scheme == "https" && host.ends_with(":443"))) {
    host.resize(host.rfind(':'));
  }
  if (host.starts_with("amp.")) host.erase(0, 4);

  const size_t question = rest.find('?');
  std::string path(rest.substr(0, question));
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  if (path.ends_with("/amp") || path.ends_with("/amp/")) path.resize(path.rfind("/amp"));
  if (path.starts_with("/amp/")) path.erase(0, 4);
  while (path.size() > 1 && path.ends_with('/')) path.pop_back();
  if (path.empty()) path = "/";

  std::string kept;
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    const size_t amp = query.find('&', pos);
    const std::string_view pair =
        query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    const size_t equals = pair.find('=');
    const std::string name = AsciiLower(pair.substr(0, equals));
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    if (!pair.empty() && !IsTracking(name) && !IsFeedReferrer(name, value) &&
        !IsAmpParameter(name, value)) {
      kept += (kept.empty() ? "?" : "&") + std::string(pair);
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return scheme + "://" + host + path + kept;
}

}  // namespace feedwatch::feeds
