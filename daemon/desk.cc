#include "daemon/desk.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>

#include "base/hash.h"
#include "base/text.h"
#include "daemon/alert_feeds.h"
#include "daemon/feed_health.h"
#include "daemon/publishing_rate.h"
#include "notify/notifier.h"

namespace feedwatch::daemon {
namespace {

using std::chrono::days;

// The pages' one style sheet. The Content-Security-Policy allows it by its hash, and nothing
// else: no script, no style attribute, no resource from anywhere.
constexpr std::string_view kStyle = R"(
:root{color-scheme:light dark;--fg:#1c1d1f;--bg:#fff;--muted:#5f6368;--line:#d5d8dc;
--accent:#0b57d0;--mark:#ffe28a;--bad:#b3261e}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#131416;--muted:#9aa0a6;
--line:#3c4043;--accent:#8ab4f8;--mark:#665200;--bad:#f2b8b5}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:62rem;padding:1rem;font:16px/1.5 system-ui,sans-serif;
color:var(--fg);background:var(--bg);overflow-wrap:anywhere}
a{color:var(--accent)}
h1{font-size:1.5rem;margin:0 0 .5rem}
h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:0}
nav ul,ol.stories,ol.outlets,ul.feeds{list-style:none;padding:0;margin:0}
nav li{display:inline-block;margin:0 1rem .25rem 0}
ol.stories>li{padding:.75rem 0;border-bottom:1px solid var(--line)}
.meta,.outlets,figcaption,.none,footer{color:var(--muted);font-size:.875rem}
.lede{margin:.25rem 0}
mark{background:var(--mark);color:inherit}
ol.outlets li{display:inline-block;margin-right:1rem}
svg.timeline{display:block;width:100%;max-width:36rem;height:1.5rem}
svg.timeline line{stroke:var(--line);stroke-width:2}
svg.timeline circle{fill:var(--bg);stroke:var(--accent);stroke-width:2}
svg.timeline circle.first{fill:var(--accent)}
figure{margin:.25rem 0 .5rem}
svg.chart{display:block;width:100%;max-width:20rem;height:auto}
svg.chart rect{fill:var(--accent)}
svg.chart line{stroke:var(--line)}
.bad{color:var(--bad)}
)";

// The CSP source of kStyle: 'sha256-<base64 of its digest>'.
std::string StyleSource() {
  const std::string hex = Sha256Hex(kStyle);
  std::string digest;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    digest += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return "'sha256-" + Base64Encode(digest) + "'";
}

// Text from a feed, fit to show: not UTF-8 becomes U+FFFD; controls (C0, DEL, C1) and the bidi
// embeddings, overrides and isolates are dropped, so a title cannot reorder what follows it
// (each is shown in a <bdi> too, so right-to-left text keeps its own direction); line breaks
// and tabs become spaces.
std::string Clean(std::string_view text) {
  return FilterUtf8(text, [](std::string_view character, std::string& out) {
    const auto byte = static_cast<unsigned char>(character[0]);
    const auto last = static_cast<unsigned char>(character.back());
    if (character.size() == 1) {
      if (byte == '\t' || byte == '\n' || byte == '\r') {
        out += ' ';
      } else if (byte >= 0x20 && byte != 0x7F) {
        out += character;
      }
      return;
    }
    const bool c1 = character.size() == 2 && byte == 0xC2 && last < 0xA0;
    const bool bidi =
        character.size() == 3 && character.starts_with("\xE2\x80") && last >= 0xAA && last <= 0xAE;
    const bool isolate =
        character.size() == 3 && character.starts_with("\xE2\x81") && last >= 0xA6 && last <= 0xA9;
    if (!c1 && !bidi && !isolate && character != "\xEF\xBF\xBE" && character != "\xEF\xBF\xBF") {
      out += character;
    }
  });
}

// Clean, and escaped for HTML.
std::string Shown(std::string_view text) { return HtmlEscape(Clean(text)); }

std::string Format(TimePoint t, const char* format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 64> buffer{};
  const size_t n = std::strftime(buffer.data(), buffer.size(), format, &tm);
  std::string out(buffer.data(), n);
  if (out.starts_with('0')) out.erase(0, 1);  // "5 Dec", not "05 Dec"
  return out;
}

// <time datetime="2026-12-05T14:02:00Z">5 Dec 14:02</time>
std::string Time(TimePoint t) {
  return "<time datetime=\"" + FormatIso8601(t) + "\">" + Format(t, "%d %b %H:%M") + "</time>";
}

// "4 min", "2 h 5 min", "3 d 4 h": a span, to the minute.
std::string Span(Seconds span) {
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(span).count();
  if (minutes < 60) return std::to_string(minutes) + " min";
  if (minutes < std::int64_t{24} * 60) {
    return std::to_string(minutes / 60) + " h" +
           (minutes % 60 != 0 ? " " + std::to_string(minutes % 60) + " min" : "");
  }
  const auto hours = minutes / 60;
  return std::to_string(hours / 24) + " d" +
         (hours % 24 != 0 ? " " + std::to_string(hours % 24) + " h" : "");
}

// ` lang="ru"` for text mostly in Cyrillic, so that screen readers and hyphenation read it as
// Russian on the English page; "" otherwise.
std::string LangOf(std::string_view text) {
  size_t cyrillic = 0;
  size_t latin = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte == 0xD0 || byte == 0xD1) && i + 1 < text.size()) {
      ++cyrillic;  // U+0400..U+047F: the Russian alphabet and its neighbours
      ++i;
    } else if ((byte | 0x20) >= 'a' && (byte | 0x20) <= 'z') {
      ++latin;
    }
  }
  return cyrillic > latin ? R"( lang="ru")" : "";
}

bool Linkable(const std::string& link) {
  return (link.starts_with("http://") || link.starts_with("https://")) &&
         link.size() <= kEntryLinkBytes;
}

// The small timeline of a story's reports: one mark per outlet, first to last.
std::string Timeline(const std::vector<DeskReport>& reports, size_t shown) {
  const TimePoint first = reports.front().at;
  const auto span = std::chrono::duration_cast<Seconds>(reports.back().at - first);
  std::string label =
      "Reported by " + Counted(static_cast<std::int64_t>(reports.size()), "outlet", "outlets");
  if (span.count() > 0) label += " within " + Span(span);
  label += ": " + Shown(reports.front().feed) + " first";
  for (size_t i = 1; i < shown; ++i) {
    label += ", " + Shown(reports[i].feed) + " after " +
             Span(std::chrono::duration_cast<Seconds>(reports[i].at - first));
  }
  std::string out = R"(<svg class="timeline" viewBox="0 0 600 24" role="img" aria-label=")" +
                    label + R"("><title>)" + label + "</title>";
  out += R"(<line x1="8" y1="12" x2="592" y2="12"/>)";
  // The latest first, so that the first report's mark is drawn on top.
  for (size_t i = shown; i-- > 0;) {
    const double share = span.count() > 0 ? static_cast<double>((reports[i].at - first).count()) /
                                                static_cast<double>(span.count())
                                          : 0.0;
    out += "<circle" + std::string(i == 0 ? R"( class="first")" : "") + R"( cx=")" +
           std::to_string(static_cast<int>(8 + 584 * share)) + R"(" cy="12" r="6"/>)";
  }
  return out + "</svg>\n";
}

std::string Story(const DeskStory& desk_story) {
  const store::StoryMatch& story = desk_story.story;
  const std::vector<DeskReport>& reports = desk_story.reports;
  const std::string cut_title = ShortenUtf8(story.title, kEntryTitleBytes);
  const std::string title = "<bdi" + LangOf(cut_title) + ">" + Shown(cut_title) + "</bdi>";
  std::string out = "<li><article>\n<h3>";
  out += Linkable(story.link)
             ? R"(<a href=")" + HtmlEscape(story.link) + R"(" rel="noreferrer">)" + title + "</a>"
             : title;
  const TimePoint origin = store::AlertOrigin(story.published, story.matched_at);
  out += "</h3>\n<p class=\"meta\"><bdi>" + Shown(story.feed) + "</bdi> · " + Time(origin);
  // Days and order go by when a story alerted; an item published well before that says so.
  if (story.matched_at - origin >= std::chrono::hours(1)) {
    out += " · alerted " + Time(story.matched_at);
  }
  if (reports.size() > 1) {
    out += " · " + Counted(static_cast<std::int64_t>(reports.size()), "outlet", "outlets");
  }
  out += "</p>\n";
  // The item's lede; else the words around the hit, unless that is the title again.
  std::string lede = notify::ShortenMarked(Clean(story.lede), kEntrySnippetBytes);
  if (lede.empty()) {
    lede = notify::ShortenMarked(Clean(story.snippet), kEntrySnippetBytes);
    std::string unmarked = lede;
    std::erase(unmarked, '*');
    // The words around a hit in the title are the title, or a cut of it ("…"): not shown twice.
    constexpr std::string_view kEllipsis = "…";
    if (unmarked.ends_with(kEllipsis)) unmarked.resize(unmarked.size() - kEllipsis.size());
    if (Clean(story.title).starts_with(unmarked)) lede.clear();
  }
  if (!lede.empty()) {
    // MarkedToHtml escapes the text, and turns its **marks** into <mark> elements.
    out += "<p class=\"lede\"><bdi" + LangOf(lede) + ">" + notify::MarkedToHtml(lede, "mark") +
           "</bdi></p>\n";
  }
  if (reports.size() > 1) {
    const size_t shown = std::min(reports.size(), kDeskOutlets);
    out += Timeline(reports, shown);
    out += "<ol class=\"outlets\">";
    for (size_t i = 0; i < shown; ++i) {
      out += "<li><bdi>" + Shown(reports[i].feed) + "</bdi> " + Time(reports[i].at) + " ";
      out +=
          i == 0
              ? std::string("first")
              : "+" + Span(std::chrono::duration_cast<Seconds>(reports[i].at - reports.front().at));
      out += "</li>\n";
    }
    if (shown < reports.size()) {
      out += "<li>and " + std::to_string(reports.size() - shown) + " more</li>\n";
    }
    out += "</ol>\n";
  }
  return out + "</article></li>\n";
}

// The bar chart of a watch's stories a day.
std::string Chart(const DeskWatch& watch, TimePoint today) {
  const int most = std::max(1, *std::max_element(watch.per_day.begin(), watch.per_day.end()));
  int total = 0;
  std::string label = "Stories a day, " + Format(today - days(kDeskDays - 1), "%d %b") + " to " +
                      Format(today, "%d %b") + ":";
  std::string bars;
  for (int i = 0; i < kDeskDays; ++i) {
    const int count = watch.per_day[static_cast<size_t>(i)];
    total += count;
    const std::string day = Format(today - days(kDeskDays - 1 - i), "%d %b");
    label += (i == 0 ? " " : ", ") + std::to_string(count);
    if (count == 0) continue;
    const int height = std::max(2, 40 * count / most);
    bars += R"(<rect x=")" + std::to_string(i * 20 + 2) + R"(" y=")" + std::to_string(44 - height) +
            R"(" width="16" height=")" + std::to_string(height) + R"("><title>)" + day + ": " +
            Counted(count, "story", "stories") + "</title></rect>";
  }
  std::string out = R"(<figure><svg class="chart" viewBox="0 0 280 46" role="img" aria-label=")" +
                    label + R"("><title>)" + label + "</title>" + bars +
                    R"(<line x1="0" y1="44.5" x2="280" y2="44.5"/></svg>)";
  out += "<figcaption>" + Counted(total, "story", "stories") + " in " + std::to_string(kDeskDays) +
         " days, " + std::to_string(watch.per_day.back()) + " today</figcaption></figure>\n";
  return out;
}

// A watch's section: its heading, chart and the stories since `from`, at most `most`.
std::string Section(const DeskWatch& watch, TimePoint today, TimePoint from, size_t most,
                    const std::string& link) {
  std::string out = "<section aria-labelledby=\"w-" + HtmlEscape(watch.name) + "\">\n";
  // On the watch's own page (no link) its name is the page's <h1> already.
  out += "<h2 id=\"w-" + HtmlEscape(watch.name) + "\">" +
         (link.empty() ? "The last " + std::to_string(kDeskDays) + " days"
                       : "<a href=\"" + link + "\">" + HtmlEscape(watch.name) + "</a>") +
         "</h2>\n";
  out += Chart(watch, today);
  size_t shown = 0;
  std::string stories;
  for (const DeskStory& story : watch.stories) {
    if (story.story.matched_at < from || shown == most) break;
    stories += Story(story);
    ++shown;
  }
  if (shown == 0) {
    out += "<p class=\"none\">No stories since " + Time(from) + ".</p>\n";
  } else {
    out += "<ol class=\"stories\">\n" + stories + "</ol>\n";
  }
  if (!link.empty() && shown < watch.stories.size()) {
    out += "<p><a href=\"" + link + "\">" +
           Counted(static_cast<std::int64_t>(watch.stories.size() - shown), "earlier story",
                   "earlier stories") +
           " on its page</a></p>\n";
  }
  return out + "</section>\n";
}

std::string Health(const Desk& desk) {
  std::string out = "<section aria-labelledby=\"feeds\">\n<h2 id=\"feeds\">Feeds to look at</h2>\n";
  if (desk.feeds.empty()) {
    return out + "<p class=\"none\">All " + Counted(desk.feeds_total, "feed is", "feeds are") +
           " read and publishing as usual.</p>\n</section>\n";
  }
  out += "<ul class=\"feeds\">\n";
  const size_t shown = std::min(desk.feeds.size(), kDeskFeedsListed);
  for (size_t i = 0; i < shown; ++i) {
    const DeskFeed& feed = desk.feeds[i];
    out += "<li><bdi>" + Shown(feed.name) + "</bdi> " +
           (feed.state == "silent" ? feed.state : "<span class=\"bad\">" + feed.state + "</span>") +
           ": " + feed.detail + "</li>\n";
  }
  if (shown < desk.feeds.size()) {
    out += "<li>and " + std::to_string(desk.feeds.size() - shown) +
           " more: <code>feedwatch status</code> lists them</li>\n";
  }
  return out + "</ul>\n</section>\n";
}

std::string Page(const std::string& title, const std::string& body) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"refresh\" content=\"120\">\n<link rel=\"icon\" href=\"data:,\">\n";
  out += "<title>" + title + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n";
  out += "<body>\n" + body +
         "<footer><p>Times are UTC. The page reloads every two minutes.</p></footer>\n"
         "</body>\n</html>\n";
  return out;
}

// A feed gone, failing, or (with `silence`) silent.
DeskFeed FeedToLookAt(const store::FeedState& state, const std::optional<Silence>& silence) {
  if (state.gone) {
    return {state.name, "gone", "answered 410 Gone; not polled until its URL changes"};
  }
  if (state.consecutive_failures > 0) {
    std::string detail = Shown(state.last_status) + ", " +
                         Counted(state.consecutive_failures, "poll", "polls") + " in a row; ";
    detail += state.last_success_at ? "last read " + Time(*state.last_success_at)
                                    : std::string("never read");
    return {state.name, "failing", detail};
  }
  const Silence& quiet = silence.value();
  return {state.name, "silent",
          "nothing new since " + Time(quiet.last_item) + "; usually an item every " +
              Span(quiet.usual_gap)};
}

}  // namespace

Result<Desk> ReadDesk(store::Store& store, const config::Config& config, TimePoint now) {
  Desk desk;
  desk.today = std::chrono::floor<days>(now);
  const TimePoint first_day = desk.today - days(kDeskDays - 1);
  Result<std::vector<store::DayCount>> counts = store.CountStoriesByDay(first_day);
  if (!counts) return counts.error();
  for (const config::WatchConfig& config_watch : config.watches) {
    DeskWatch& watch = desk.watches.emplace_back();
    watch.name = config_watch.name;
    watch.listed = config_watch.feed_token.empty();
    for (const store::DayCount& count : *counts) {
      const auto day = (count.day - first_day) / days(1);
      if (count.watch == watch.name && day >= 0 && day < kDeskDays) {
        watch.per_day[static_cast<size_t>(day)] = count.stories;
      }
    }
    Result<std::vector<store::StoryMatch>> stories =
        store.LatestStories(watch.name, kDeskWatchStories);
    if (!stories) return stories.error();
    for (store::StoryMatch& story : *stories) {
      if (story.matched_at < first_day) break;
      DeskStory& desk_story = watch.stories.emplace_back();
      desk_story.reports.push_back(
          {story.feed, store::AlertOrigin(story.published, story.matched_at)});
      for (const store::StoryReport& other : story.also_reported_by) {
        desk_story.reports.push_back({other.feed, other.at});
      }
      std::stable_sort(desk_story.reports.begin(), desk_story.reports.end(),
                       [](const DeskReport& a, const DeskReport& b) { return a.at < b.at; });
      desk_story.story = std::move(story);
    }
  }
  Result<std::vector<store::FeedState>> feeds = store.ListFeeds();
  if (!feeds) return feeds.error();
  std::set<std::string> configured;
  for (const config::FeedConfig& feed : config.feeds) configured.insert(feed.name);
  desk.feeds_total = static_cast<int>(config.feeds.size());
  std::vector<DeskFeed> silent;
  for (const store::FeedState& state : *feeds) {
    if (!configured.contains(state.name)) continue;
    const FeedHealth health = HealthOf(state);
    if (health == FeedHealth::kFailing || health == FeedHealth::kDisabled) {
      desk.feeds.push_back(FeedToLookAt(state, std::nullopt));
    } else if (const std::optional<Silence> silence = UnusualSilence(state.history, now);
               health == FeedHealth::kOk && silence) {
      silent.push_back(FeedToLookAt(state, silence));
    }
  }
  const auto by_name = [](const DeskFeed& a, const DeskFeed& b) { return a.name < b.name; };
  std::sort(desk.feeds.begin(), desk.feeds.end(), by_name);
  std::sort(silent.begin(), silent.end(), by_name);
  desk.feeds.insert(desk.feeds.end(), silent.begin(), silent.end());
  return desk;
}

DeskPagesText RenderDesk(const Desk& desk) {
  DeskPagesText pages;
  const TimePoint front_from = desk.today - days(kDeskFrontDays - 1);
  std::string nav;
  std::string sections;
  for (const DeskWatch& watch : desk.watches) {
    const std::string own =
        "<header><p><a href=\"../\">feedwatch desk</a></p><h1>" + HtmlEscape(watch.name) +
        "</h1></header>\n<main>\n" +
        Section(watch, desk.today, desk.today - days(kDeskDays - 1), kDeskWatchStories, "") +
        "</main>\n";
    pages.watches[watch.name] = Page(HtmlEscape(watch.name) + " · feedwatch desk", own);
    if (!watch.listed) continue;
    const std::string link = "watch/" + HtmlEscape(watch.name);
    nav += "<li><a href=\"#w-" + HtmlEscape(watch.name) + "\">" + HtmlEscape(watch.name) + "</a> " +
           std::to_string(watch.per_day.back()) + " today</li>\n";
    sections += Section(watch, desk.today, front_from, kDeskFrontStories, link);
  }
  std::string body = "<header><h1>feedwatch desk</h1>\n";
  if (!nav.empty()) body += "<nav aria-label=\"Watches\"><ul>" + nav + "</ul></nav>\n";
  body += "</header>\n<main>\n";
  if (sections.empty()) body += "<p class=\"none\">No watch is listed here.</p>\n";
  body += sections + Health(desk) + "</main>\n";
  pages.front = Page("feedwatch desk", body);
  return pages;
}

std::vector<std::string> DeskHeaders() {
  static const std::string policy = "Content-Security-Policy: default-src 'none'; style-src " +
                                    StyleSource() +
                                    "; img-src data:; base-uri 'none'; form-action 'none'; "
                                    "frame-ancestors 'none'";
  return {policy, "Referrer-Policy: no-referrer", "X-Content-Type-Options: nosniff",
          "X-Frame-Options: DENY"};
}

void DeskPages::Configure(std::map<std::string, std::string> tokens) {
  const std::lock_guard lock(mutex_);
  // A watch added, dropped, or given or relieved of a token changes what the front page may
  // list: the old one is not served meanwhile (503 until the next render, at once).
  std::map<std::string, bool> listed;
  for (const auto& [name, token] : tokens) listed[name] = token.empty();
  std::map<std::string, bool> was_listed;
  for (const auto& [name, token] : tokens_) was_listed[name] = token.empty();
  if (listed != was_listed) front_.reset();
  tokens_ = std::move(tokens);
  std::erase_if(watches_, [&](const auto& entry) { return !tokens_.contains(entry.first); });
}

void DeskPages::Publish(DeskPagesText pages, TimePoint updated) {
  PublishedPage front = PublishedPage::Of(std::move(pages.front), updated);
  std::map<std::string, PublishedPage> watches;
  for (auto& [name, text] : pages.watches) {
    watches.emplace(name, PublishedPage::Of(std::move(text), updated));
  }
  const std::lock_guard lock(mutex_);
  // A page rendered the same as before keeps its Last-Modified, for clients that ask by date.
  const auto keep = [](const PublishedPage& old, PublishedPage& page) {
    if (old.etag == page.etag) page = old;
  };
  if (front_) keep(*front_, front);
  for (auto& [name, page] : watches) {
    if (const auto old = watches_.find(name); old != watches_.end()) keep(old->second, page);
  }
  front_ = std::move(front);
  watches_ = std::move(watches);
}

net::HttpListener::Reply DeskPages::Serve(const net::HttpListener::Request& request) const {
  constexpr std::string_view kHtml = "text/html; charset=utf-8";
  const auto not_yet = [] {
    return net::HttpListener::Reply::Plain(503, "the desk is not rendered yet\n");
  };
  const auto not_found = [] { return net::HttpListener::Reply::Plain(404, "no such page\n"); };
  const std::lock_guard lock(mutex_);
  if (request.path == "/") {
    return front_ ? front_->Answer(request, std::string(kHtml), DeskHeaders()) : not_yet();
  }
  constexpr std::string_view kWatch = "/watch/";
  if (!std::string_view(request.path).starts_with(kWatch)) return not_found();
  const std::optional<std::string> name = PercentDecode(request.path.substr(kWatch.size()));
  const std::optional<std::string> token = QueryToken(request.query);
  if (!name || !token) return not_found();
  if (!TokenAdmits(tokens_, *name, *token)) return not_found();
  const auto page = watches_.find(*name);
  if (page == watches_.end()) return not_yet();
  return page->second.Answer(request, std::string(kHtml), DeskHeaders());
}

}  // namespace feedwatch::daemon
