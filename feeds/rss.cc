// RSS 0.90, 0.91, 0.92, 1.0 (RDF) and 2.0, with the modules news feeds use.
#include <strings.h>

#include <array>
#include <charconv>
#include <cstring>

#include "feeds/html_text.h"
#include "feeds/internal/xml_read.h"
#include "feeds/parser.h"

namespace feedwatch::feeds::internal {
namespace {

// The first of `names` that `parent` has.
pugi::xml_node FirstOf(const pugi::xml_node& parent,
                       std::initializer_list<std::string_view> names) {
  for (const std::string_view name : names) {
    if (pugi::xml_node child = Child(parent, name)) return child;
  }
  return {};
}

std::optional<TimePoint> FirstDate(const pugi::xml_node& parent,
                                   std::initializer_list<std::string_view> names) {
  for (const std::string_view name : names) {
    if (std::optional<TimePoint> date = DateOf(Child(parent, name))) return date;
  }
  return std::nullopt;
}

// An RSS <link>: its text, or the href some feeds write Atom-style.
std::string LinkValue(const pugi::xml_node& link) {
  std::string value = Value(link);
  if (value.empty()) value = CollapseWhitespace(link.attribute("href").as_string());
  return value;
}

// The Atom <link rel="alternate"> an RSS 2.0 document may carry.
std::string AtomAlternate(const pugi::xml_node& parent) {
  for (pugi::xml_node link = parent.first_child(); link; link = link.next_sibling()) {
    if (!NameIs(link, "atom:link")) continue;
    const std::string_view rel = link.attribute("rel").as_string("alternate");
    if (rel == "alternate") return CollapseWhitespace(link.attribute("href").as_string());
  }
  return "";
}

int64_t ToInt(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() ? value : 0;
}

void ReadSchedulingHints(const pugi::xml_node& channel, Feed& feed) {
  if (const pugi::xml_node ttl = Child(channel, "ttl")) {
    if (const int64_t minutes = ToInt(Value(ttl)); minutes > 0) {
      feed.ttl = std::chrono::minutes(minutes);
    }
  }
  for (pugi::xml_node hour = Child(Child(channel, "skipHours"), "hour"); hour;
       hour = hour.next_sibling("hour")) {
    const int64_t h = ToInt(Value(hour));
    if (h >= 0 && h <= 24) feed.skip_hours |= 1u << (h % 24);  // some feeds count 1-24
  }
  static constexpr std::array<std::string_view, 7> kDays{
      "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  for (pugi::xml_node day = Child(Child(channel, "skipDays"), "day"); day;
       day = day.next_sibling("day")) {
    const std::string name = Value(day);
    for (size_t d = 0; d < kDays.size(); ++d) {
      if (strcasecmp(name.c_str(), std::string(kDays[d]).c_str()) == 0) {
        feed.skip_days |= static_cast<uint8_t>(1u << d);
      }
    }
  }
  if (const pugi::xml_node period = Child(channel, "sy:updatePeriod")) {
    const std::string name = Value(period);
    constexpr int64_t kDay = 86400;
    int64_t seconds = 0;
    if (name == "hourly") seconds = 3600;
    if (name == "daily") seconds = kDay;
    if (name == "weekly") seconds = 7 * kDay;
    if (name == "monthly") seconds = 30 * kDay;
    if (name == "yearly") seconds = 365 * kDay;
    int64_t frequency = ToInt(Value(Child(channel, "sy:updateFrequency")));
    if (frequency <= 0) frequency = 1;
    if (seconds > 0) feed.update_period = std::chrono::seconds(seconds / frequency);
  }
}

// A reader-facing name from RSS's "email (Name)" and the other shapes people write: "Name
// (email)", "Name <email>", a bare name or a bare email.
std::string AuthorName(std::string raw) {
  const size_t open = raw.find_first_of("(<");
  const size_t close = raw.find_last_of(")>");
  if (open == std::string::npos || close == std::string::npos || close < open) return raw;
  std::string inside = CollapseWhitespace(std::string_view(raw).substr(open + 1, close - open - 1));
  std::string outside = CollapseWhitespace(raw.substr(0, open) + " " + raw.substr(close + 1));
  if (outside.find('@') != std::string::npos && !inside.empty()) return inside;
  if (inside.find('@') != std::string::npos && !outside.empty()) return outside;
  return raw;
}

void ReadItem(const pugi::xml_node& node, const std::string& base, Item& item) {
  item.title = HtmlElement(FirstOf(node, {"title", "dc:title", "atom:title"})).text;

  const pugi::xml_node guid = Child(node, "guid");
  item.id = Value(guid);
  if (item.id.empty()) item.id = CollapseWhitespace(node.attribute("rdf:about").as_string());
  if (item.id.empty()) item.id = Value(FirstOf(node, {"atom:id", "dc:identifier"}));

  std::string link = LinkValue(Child(node, "link"));
  if (link.empty()) link = AtomAlternate(node);
  // A guid is a permalink unless it says isPermaLink="false".
  const bool guid_is_link =
      guid && std::strcmp(guid.attribute("isPermaLink").as_string("true"), "false") != 0;
  if (link.empty() && guid_is_link && IsHttpUrl(item.id)) link = item.id;
  if (link.empty() && IsHttpUrl(node.attribute("rdf:about").as_string())) {
    link = CollapseWhitespace(node.attribute("rdf:about").as_string());
  }
  const std::string item_base = BaseFor(node, base);
  if (!link.empty()) item.link = ResolveUrl(item_base, link);

  Text summary = HtmlElement(FirstOf(node, {"description", "dc:description"}));
  if (summary.text.empty()) summary = AtomText(Child(node, "atom:summary"));
  item.summary_text = std::move(summary.text);
  item.summary_html = std::move(summary.html);
  Text content = HtmlElement(FirstOf(node, {"content:encoded", "body", "fullitem"}));
  if (content.text.empty()) content = AtomText(Child(node, "atom:content"));
  item.content_text = std::move(content.text);
  item.content_html = std::move(content.html);

  item.author = AuthorName(
      HtmlElement(FirstOf(node, {"author", "dc:creator", "dc:author", "itunes:author"})).text);
  if (item.author.empty()) item.author = Value(Child(Child(node, "atom:author"), "atom:name"));

  // dc:date says only "a date in the item's life"; it stands for whichever of the two the feed
  // does not give otherwise.
  item.published = FirstDate(
      node, {"pubDate", "atom:published", "dcterms:issued", "dcterms:created", "dc:date"});
  item.updated = FirstDate(node, {"atom:updated", "dcterms:modified", "dc:date"});

  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (NameIs(child, "category") || NameIs(child, "dc:subject")) {
      if (std::string category = HtmlToText(DirectText(child)); !category.empty()) {
        item.categories.push_back(std::move(category));
      }
    } else if (NameIs(child, "enclosure") || NameIs(child, "media:content")) {
      Enclosure enclosure;
      enclosure.url = CollapseWhitespace(child.attribute("url").as_string());
      if (enclosure.url.empty()) continue;
      enclosure.url = ResolveUrl(item_base, enclosure.url);
      enclosure.type = CollapseWhitespace(child.attribute("type").as_string());
      enclosure.length =
          ToInt(child.attribute(NameIs(child, "enclosure") ? "length" : "fileSize").as_string());
      item.enclosures.push_back(std::move(enclosure));
    }
  }
}

}  // namespace

void ReadRss(const pugi::xml_node& root, const Document& document, const std::string& base,
             Feed& feed) {
  const std::string_view root_name = root.name();
  if (NameIs(root, "rdf:RDF") || NameIs(root, "RDF")) {
    feed.format = document.rss090 ? "rss0.9x" : "rss1.0";
  } else {
    const std::string_view version = root.attribute("version").as_string();
    feed.format = version.starts_with("0.9") ? "rss0.9x" : "rss2.0";
  }
  const pugi::xml_node channel = NameIs(root, "channel") ? root : Child(root, "channel");
  if (!channel && !Child(root, "item")) {
    feed.warnings.push_back("<" + std::string(root_name) + "> has neither <channel> nor <item>");
  }
  feed.title = HtmlElement(FirstOf(channel, {"title", "dc:title"})).text;
  std::string link = LinkValue(Child(channel, "link"));
  if (link.empty()) link = AtomAlternate(channel);
  const std::string channel_base = BaseFor(channel, base);
  feed.link = link.empty() ? "" : ResolveUrl(channel_base, link);
  ReadSchedulingHints(channel, feed);

  // A document read from a file has no web address; its channel link stands in.
  const std::string item_base = IsHttpUrl(base) || !IsHttpUrl(feed.link) ? base : feed.link;
  // RSS 2.0 items are in the channel; RSS 0.90 and 1.0 items are its siblings.
  for (const pugi::xml_node parent : {channel, root}) {
    if (!parent || (parent == root && root == channel)) continue;
    for (pugi::xml_node node = parent.first_child(); node; node = node.next_sibling()) {
      if (node.type() != pugi::node_element || !NameIs(node, "item") ||
          document.CutOff(node, feed)) {
        continue;
      }
      Item& item = feed.items.emplace_back();
      ReadItem(node, item_base, item);
    }
  }
}

}  // namespace feedwatch::feeds::internal
