// Notifiers turn alerts into a message somewhere: the console, an email, a webhook.
//
// A Message is one alert, or a digest of several. Send() may finish before it returns (console)
// or later on the event loop thread (network notifiers); either way `done` is called exactly
// once, on the loop thread, with the outcome. Retrying is the caller's business (the outbox).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "notify/notifier_type.h"

namespace feedwatch::notify {

// Where a query term hit: "summary", "Дарчиев*", "Дарчиевым".
struct TermHit {
  std::string field;
  std::string term;  // as the query writes it
  std::string text;  // as the item writes it
};

// Why one watch matched an item.
struct WatchMatch {
  std::string watch;
  std::string terms;          // which query terms hit in which field, in one line
  std::string snippet;        // words around the most telling hit, each hit marked **like this**
  std::vector<TermHit> hits;  // the same as `terms`, as data
};

// One item, with every watch that matched it and sends to this notifier: several watches on
// one article make one alert, not one each.
struct Alert {
  std::int64_t delivery = 0;        // the first of its deliveries
  std::vector<WatchMatch> matches;  // at least one, in the order they were matched
  // Of the first match, for the formats that name one watch (and older receivers).
  std::string watch;
  std::string feed;
  std::string title;
  std::string link;
  std::optional<TimePoint> published;
  TimePoint matched_at;
  std::string summary;         // plain text, shortened at a word
  std::string summary_marked;  // the same with the hits of every match **marked**
  std::string terms;
  std::string snippet;
  std::int64_t story = 0;                     // the id of the story's first match
  std::vector<std::string> also_reported_by;  // other feeds with the same story, so far
};

// The watches that matched `alert`'s item: its `matches`, or the one its `watch`, `terms` and
// `snippet` describe when a caller filled in only those.
std::vector<WatchMatch> MatchesOf(const Alert& alert);

// "darchiev, moscow-round": every watch of `alert`.
std::string WatchNames(const Alert& alert);

// The lede to show: the marked summary when there is one, else the plain one.
std::string Lede(const Alert& alert);

// Whether `match` hit the text of the item's web page (fetch_articles), not only what the feed
// carried: its hits name the field "article".
bool InArticle(const WatchMatch& match);

// What a short alert shows under its title: the lede, hits marked; but when no hit stands in
// the lede and a match hit the article, "From the article: " and that match's snippet, so that
// the reader sees why it alerted. The snippet when there is no lede.
std::string Excerpt(const Alert& alert);

// `marked` (with **marks**) cut after a word within `max_bytes`, its marks still paired.
std::string ShortenMarked(std::string_view marked, size_t max_bytes);

// `marked` escaped for HTML, its **marks** turned into `element` elements ("b", or "mark" where
// the HTML is ours) (an unpaired last mark is left as text).
std::string MarkedToHtml(std::string_view marked, std::string_view element = "b");

struct Message {
  // Unique across databases (it starts with the database's random instance id) and stable
  // across retries: receivers use it to drop duplicates.
  std::string id;
  bool digest = false;        // a digest lists its alerts (one per item); else there is one
  std::vector<Alert> alerts;  // in the order matched
};

struct SendResult {
  enum class Kind {
    kSent,
    kRetry,      // may work later: a timeout, a 5xx, a 4xx SMTP reply, a refused connection
    kPermanent,  // will not work as it is: a 4xx HTTP status but 408 and 429, a 5xx SMTP reply
  };
  Kind kind = Kind::kSent;
  std::string error;        // for the log and `feedwatch outbox`; empty when sent
  std::string retry_after;  // the server's Retry-After header, unparsed, if it sent one

  static SendResult Sent() { return {}; }
  static SendResult Retry(std::string error, std::string retry_after = "") {
    return {Kind::kRetry, std::move(error), std::move(retry_after)};
  }
  static SendResult Permanent(std::string error) {
    return {Kind::kPermanent, std::move(error), ""};
  }
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void Send(const Message& message, std::function<void(SendResult)> done) = 0;
};

// One line per alert on `out`, tab-separated so that it can be cut or grepped:
//   MATCHED_AT <TAB> WATCHES <TAB> FEED <TAB> TITLE <TAB> LINK <TAB> SNIPPET
// WATCHES is every watch that matched, comma-separated; SNIPPET is the first one's.
// A digest is its alerts' lines. `out` must outlive the notifier. `prefix` starts every line
// (a dry run names the notifier that would have sent it: "would send to desk-mail<TAB>").
class ConsoleNotifier final : public Notifier {
 public:
  explicit ConsoleNotifier(std::FILE* out, std::string prefix = "")
      : out_(out), prefix_(std::move(prefix)) {}
  void Send(const Message& message, std::function<void(SendResult)> done) override;

 private:
  std::FILE* out_;
  std::string prefix_;
};

// type = "console" (console.cc): no keys of its own.
struct ConsoleSettings {
  bool operator==(const ConsoleSettings&) const = default;

  static constexpr std::string_view kType = "console";
  static constexpr std::array<std::string_view, 0> kKeys = {};
  static std::optional<ConsoleSettings> Parse(OptionReader& reader, const ParseContext& context);
  std::string_view Label() const { return kType; }
  std::vector<std::string> Destination() const { return {}; }
  std::chrono::milliseconds Timeout() const { return {}; }
  std::unique_ptr<Notifier> Make(const std::string& name, const NotifierServices& services) const;
};

}  // namespace feedwatch::notify
