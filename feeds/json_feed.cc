// JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1).
#include "feeds/internal/json_feed.h"

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/text.h"
#include "feeds/date.h"
#include "feeds/html_text.h"
#include "feeds/internal/item_window.h"
#include "feeds/internal/json_shape.h"
#include "feeds/internal/parse_budget.h"
#include "feeds/internal/xml_read.h"
#include "feeds/parser.h"

namespace feedwatch::feeds::internal {
namespace {

using nlohmann::json;

// The most objects and arrays one container of a JSON Feed may hold, "items" aside: an item's
// attachments or authors are a handful. At the limit the parse costs 50 million steps.
constexpr size_t kMaxJsonWidth = 10'000;
// What kMaxJsonWidth objects alone in one array cost the callback (internal/json_shape.h).
constexpr size_t kMaxJsonSteps = kMaxJsonWidth * (kMaxJsonWidth + 1) / 2;

// The string at `key`, or empty when it is absent or not a string.
std::string String(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const json* Member(const json& object, std::string_view key, json::value_t type) {
  const auto it = object.find(key);
  return it != object.end() && it->type() == type ? &*it : nullptr;
}

std::string AuthorName(const json& object) {
  if (const json* authors = Member(object, "authors", json::value_t::array)) {
    for (const json& author : *authors) {
      if (author.is_object()) {
        if (std::string name = CollapseWhitespace(String(author, "name")); !name.empty()) {
          return name;
        }
      }
    }
  }
  if (const json* author = Member(object, "author", json::value_t::object)) {
    return CollapseWhitespace(String(*author, "name"));
  }
  return "";
}

void ReadItem(const json& object, const std::string& base, const std::string& feed_author,
              Item& item) {
  if (const auto id = object.find("id"); id != object.end()) {
    item.id = id->is_string() ? id->get<std::string>() : id->is_number() ? id->dump() : "";
  }
  item.title = CollapseWhitespace(String(object, "title"));
  std::string link = CollapseWhitespace(String(object, "url"));
  if (link.empty()) link = CollapseWhitespace(String(object, "external_url"));
  if (!link.empty()) item.link = ResolveUrl(base, std::move(link));
  item.summary_text = TextParagraphs(String(object, "summary"));
  item.summary_html = ParagraphsHtml(item.summary_text);
  if (std::string html = String(object, "content_html"); !html.empty()) {
    item.content_text = HtmlToParagraphs(html);
    item.content_html = std::move(html);
  } else {
    item.content_text = TextParagraphs(String(object, "content_text"));
    item.content_html = ParagraphsHtml(item.content_text);
  }
  item.author = AuthorName(object);
  if (item.author.empty()) item.author = feed_author;
  item.published = ParseDate(String(object, "date_published"));
  item.updated = ParseDate(String(object, "date_modified"));
  if (const json* tags = Member(object, "tags", json::value_t::array)) {
    for (const json& tag : *tags) {
      if (tag.is_string()) item.categories.push_back(CollapseWhitespace(tag.get<std::string>()));
    }
  }
  if (const json* attachments = Member(object, "attachments", json::value_t::array)) {
    for (const json& attachment : *attachments) {
      if (!attachment.is_object()) continue;
      Enclosure enclosure;
      enclosure.url = CollapseWhitespace(String(attachment, "url"));
      if (enclosure.url.empty()) continue;
      enclosure.url = ResolveUrl(base, std::move(enclosure.url));
      enclosure.type = String(attachment, "mime_type");
      if (const auto size = attachment.find("size_in_bytes");
          size != attachment.end() && size->is_number_integer()) {
        enclosure.length = size->get<int64_t>();
      }
      item.enclosures.push_back(std::move(enclosure));
    }
  }
}

// The items of a JSON Feed, taken out of the document as the parser finishes each: at most
// max_items of them are held (the first and last halves, ItemWindow), however many the
// document lists, so that memory follows max_items and not the count of "items" members.
class ItemCollector {
 public:
  explicit ItemCollector(size_t max_items)
      : head_max_(max_items == 0 ? SIZE_MAX : ItemWindow(SIZE_MAX, max_items).head()),
        tail_max_(max_items == 0 ? 0 : max_items / 2) {}

  // nlohmann-json's parser callback: false drops what was just parsed from the document.
  bool operator()(int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key) {
      in_items_ = parsed == "items";
      return true;
    }
    const bool element_done = event == json::parse_event_t::object_end ||
                              event == json::parse_event_t::array_end ||
                              event == json::parse_event_t::value;
    if (depth != 2 || !in_items_ || !element_done) return true;
    if (!parsed.is_object()) return false;  // not an item: skipped
    ++count_;
    if (head_.size() < head_max_) {
      head_.push_back(std::move(parsed));
    } else if (tail_max_ > 0) {
      if (tail_.size() == tail_max_) tail_.pop_front();
      tail_.push_back(std::move(parsed));
    }
    return false;
  }

  size_t count() const { return count_; }
  // The items read, in document order.
  std::vector<const json*> Items() const {
    std::vector<const json*> out;
    out.reserve(head_.size() + tail_.size());
    for (const json& item : head_) out.push_back(&item);
    for (const json& item : tail_) out.push_back(&item);
    return out;
  }

 private:
  size_t head_max_;
  size_t tail_max_;
  bool in_items_ = false;
  size_t count_ = 0;
  std::vector<json> head_;
  std::deque<json> tail_;
};

}  // namespace

Status ReadJsonFeed(std::string_view text, const std::string& base, size_t max_items, Feed& feed) {
  // The collector's callback costs the square of each container's width in objects and arrays
  // (internal/json_shape.h), "items" aside, whose members it takes out as they end.
  const JsonShape shape = ShapeOf(text, "items");
  if (shape.width > kMaxJsonWidth) {
    return Error::InvalidInput("not read: one JSON array or object holds " +
                               std::to_string(shape.width) +
                               " objects or arrays, past the limit of " +
                               std::to_string(kMaxJsonWidth) + " (docs/reliability.md)");
  }
  if (shape.steps > kMaxJsonSteps) {
    return Error::InvalidInput(
        "not read: one JSON array or object holds objects or arrays among so many other "
        "values that reading it would take " +
        std::to_string(shape.steps) + " steps, past the limit of " + std::to_string(kMaxJsonSteps) +
        " (docs/reliability.md)");
  }
  ItemCollector collector(max_items);
  const json document = json::parse(
      text,
      [&](int depth, json::parse_event_t event, json& parsed) {
        return collector(depth, event, parsed);
      },
      /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return Error::InvalidInput("not a feed: it starts like JSON but is not valid JSON");
  }
  const std::string version = document.is_object() ? String(document, "version") : "";
  if (version.find("jsonfeed.org/version/") == std::string::npos) {
    return Error::InvalidInput(
        "not a feed: JSON, but not a JSON Feed (no \"version\": "
        "\"https://jsonfeed.org/version/1.1\")");
  }
  feed.format = "json1.x";
  feed.title = CollapseWhitespace(String(document, "title"));
  const std::string home = CollapseWhitespace(String(document, "home_page_url"));
  feed.link = home.empty() ? "" : ResolveUrl(base, home);
  const std::string item_base = IsHttpUrl(base) || !IsHttpUrl(feed.link) ? base : feed.link;
  const std::string feed_author = AuthorName(document);
  if (Member(document, "items", json::value_t::array) != nullptr) {
    ItemWindow(collector.count(), max_items).Warn(feed);
    const std::vector<const json*> items = collector.Items();
    feed.items.reserve(items.size());
    for (const json* item : items) {
      ReadItem(*item, item_base, feed_author, feed.items.emplace_back());
      if (!AfterItem(feed)) break;
    }
  } else {
    feed.warnings.emplace_back("JSON Feed without an \"items\" array");
  }
  return {};
}

}  // namespace feedwatch::feeds::internal
