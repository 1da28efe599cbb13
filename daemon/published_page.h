// A document the loop thread renders from the store and the listener's thread serves (a watch's
// Atom feed, the desk page): the rendered text, shared with the connections sending it, and the
// validators for conditional GET. The listener never touches the database.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "net/http_listener.h"

namespace feedwatch::daemon {

struct PublishedPage {
  std::shared_ptr<const std::string> body;
  std::string etag;           // "\"<sha256 prefix>\"": the same text, the same tag
  std::string last_modified;  // IMF-fixdate
  TimePoint modified;         // the same, as a time

  // `body`, last changed at `updated`.
  static PublishedPage Of(std::string body, TimePoint updated);

  // 200 with the body, or 304 when the request's If-None-Match (compared weakly; or, without
  // one, If-Modified-Since) says the client has it; `headers` go out with either.
  net::HttpListener::Reply Answer(const net::HttpListener::Request& request,
                                  std::string content_type,
                                  std::vector<std::string> headers = {}) const;
};

// The `token` parameter of a request's query, percent-decoded: "" when absent, nullopt when
// it does not decode.
std::optional<std::string> QueryToken(std::string_view query);

// Whether watch `name` is in `tokens` (watch -> the token it asks for, "" for none) and
// `token` is its token. A wrong token looks like no watch at all: the token is compared in
// constant time, and compared for an unknown watch too, so that the answer's timing does not
// confirm the watch exists either.
bool TokenAdmits(const std::map<std::string, std::string>& tokens, const std::string& name,
                 std::string_view token);

}  // namespace feedwatch::daemon
