// How a fetch ended, as one type: the engine decides it once, the metrics count it by name and
// the store keeps its text as the feed's last status.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace feedwatch::daemon {

enum class FetchResult : std::uint8_t {
  kOk,            // a new body, parsed, matched and stored
  kNotModified,   // 304
  kUnchanged,     // 2xx with the same body as last time
  kGone,          // 410: the feed is disabled until its URL changes
  kHttpError,     // any other status outside 2xx
  kTimeout,       // no answer, or a stalled one, in time
  kNetworkError,  // DNS, connect, TLS, reset, a refused redirect
  kTooLarge,      // past max_body or the header limit
  kUnreadable,    // not a feed, or past the parse budget
  kNotStored,     // read, but the database did not take it (full disk): fetched again soon
};

inline constexpr std::array kFetchResults = {FetchResult::kOk,           FetchResult::kNotModified,
                                             FetchResult::kUnchanged,    FetchResult::kGone,
                                             FetchResult::kHttpError,    FetchResult::kTimeout,
                                             FetchResult::kNetworkError, FetchResult::kTooLarge,
                                             FetchResult::kUnreadable,   FetchResult::kNotStored};

// The `result` label of feedwatch_fetches_total: "ok", "not_modified", ...
constexpr std::string_view MetricName(FetchResult result) {
  switch (result) {
    case FetchResult::kOk:
      return "ok";
    case FetchResult::kNotModified:
      return "not_modified";
    case FetchResult::kUnchanged:
      return "unchanged";
    case FetchResult::kGone:
      return "gone";
    case FetchResult::kHttpError:
      return "http_error";
    case FetchResult::kTimeout:
      return "timeout";
    case FetchResult::kNetworkError:
      return "network_error";
    case FetchResult::kTooLarge:
      return "too_large";
    case FetchResult::kUnreadable:
      return "unreadable";
    case FetchResult::kNotStored:
      return "not_stored";
  }
  return "";
}

// The feed's last status as `feedwatch status` shows it and the store keeps it: "200",
// "304 not modified", "200 unchanged", "410 gone", "HTTP 500", "timeout", "network error",
// "too large", "unreadable". `http_status` is the response's, where there was one.
inline std::string StatusText(FetchResult result, long http_status) {
  switch (result) {
    case FetchResult::kOk:
      return std::to_string(http_status);
    case FetchResult::kNotModified:
      return "304 not modified";
    case FetchResult::kUnchanged:
      return std::to_string(http_status) + " unchanged";
    case FetchResult::kGone:
      return "410 gone";
    case FetchResult::kHttpError:
      return "HTTP " + std::to_string(http_status);
    case FetchResult::kTimeout:
      return "timeout";
    case FetchResult::kNetworkError:
      return "network error";
    case FetchResult::kTooLarge:
      return "too large";
    case FetchResult::kUnreadable:
      return "unreadable";
    case FetchResult::kNotStored:
      return "not stored";
  }
  return "";
}

// What a fetch that brought no response ran into.
inline FetchResult FetchResultOf(const Error& error) {
  switch (error.code) {
    case Error::Code::kTimeout:
      return FetchResult::kTimeout;
    case Error::Code::kTooLarge:
      return FetchResult::kTooLarge;
    default:
      return FetchResult::kNetworkError;
  }
}

}  // namespace feedwatch::daemon
