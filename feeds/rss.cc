// RSS 0.90, 0.91, 0.92, 1.0 (RDF) and 2.0, with the modules news feeds use.
#include <strings.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "feeds/html_text.h"
#include "feeds/internal/item_window.h"
#include "feeds/internal/parse_budget.h"
#include "feeds/internal/xml_read.h"
#include "feeds/parser.h"

namespace feedwatch::feeds::internal {
namespace {

std::optional<TimePoint> FirstDate(const Children& children, std::initializer_list<Name> names) {
  for (const Name name : names) {
    if (std::optional<TimePoint> date = DateOf(children[name])) return date;
  }
  return std::nullopt;
}

// An RSS <link>: its text, or the href some feeds write Atom-style.
std::string LinkValue(const XmlNode& link) {
  std::string value = Value(link);
  if (value.empty()) value = CollapseWhitespace(link.attribute("href").value_or(""));
  return value;
}

// The Atom <link rel="alternate"> an RSS 2.0 document may carry.
std::string AtomAlternate(const Children& children) {
  for (const auto& [link, name] : children.elements()) {
    if (name != Name::kAtomLink) continue;
    const std::string_view rel = link.attribute("rel").value_or("alternate");
    if (rel == "alternate") return CollapseWhitespace(link.attribute("href").value_or(""));
  }
  return "";
}

int64_t ToInt(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() ? value : 0;
}

void ReadSchedulingHints(const Children& channel, Feed& feed) {
  if (const XmlNode ttl = channel[Name::kTtl]) {
    // At most a year, as sy:updatePeriod: minutes to seconds must not overflow.
    constexpr int64_t kYear = int64_t{365} * 24 * 60;
    if (const int64_t minutes = ToInt(Value(ttl)); minutes > 0) {
      feed.ttl = std::chrono::minutes(std::min(minutes, kYear));
    }
  }
  const Children hours(channel[Name::kSkipHours]);
  for (const auto& [hour, name] : hours.elements()) {
    if (name != Name::kHour) continue;
    const int64_t h = ToInt(Value(hour));
    if (h >= 0 && h <= 24) feed.skip_hours |= 1u << (h % 24);  // some feeds count 1-24
  }
  static constexpr std::array<std::string_view, 7> kDays{
      "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  const Children days(channel[Name::kSkipDays]);
  for (const auto& [day, name] : days.elements()) {
    if (name != Name::kDay) continue;
    const std::string value = Value(day);
    for (size_t d = 0; d < kDays.size(); ++d) {
      if (strcasecmp(value.c_str(), std::string(kDays[d]).c_str()) == 0) {
        feed.skip_days |= static_cast<uint8_t>(1u << d);
      }
    }
  }
  if (const XmlNode period = channel[Name::kSyUpdatePeriod]) {
    const std::string name = Value(period);
    constexpr int64_t kDay = 86400;
    int64_t seconds = 0;
    if (name == "hourly") seconds = 3600;
    if (name == "daily") seconds = kDay;
    if (name == "weekly") seconds = 7 * kDay;
    if (name == "monthly") seconds = 30 * kDay;
    if (name == "yearly") seconds = 365 * kDay;
    int64_t frequency = ToInt(Value(channel[Name::kSyUpdateFrequency]));
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

// `parent_base`: the base URL of the item's parent element.
void ReadItem(const XmlNode& node, std::string_view parent_base, Item& item) {
  const Children children(node);
  item.title =
      HtmlElement(children.FirstOf({Name::kTitle, Name::kDcTitle, Name::kAtomTitle}), Keep::kLine)
          .text;

  const XmlNode guid = children[Name::kGuid];
  item.id = Value(guid);
  if (item.id.empty()) item.id = CollapseWhitespace(node.attribute("rdf:about").value_or(""));
  if (item.id.empty()) item.id = Value(children.FirstOf({Name::kAtomId, Name::kDcIdentifier}));

  std::string link = LinkValue(children[Name::kLink]);
  if (link.empty()) link = AtomAlternate(children);
  // A guid is a permalink unless it says isPermaLink="false".
  const bool guid_is_link = guid && guid.attribute("isPermaLink").value_or("true") != "false";
  if (link.empty() && guid_is_link && IsHttpUrl(item.id)) link = item.id;
  if (link.empty() && IsHttpUrl(node.attribute("rdf:about").value_or(""))) {
    link = CollapseWhitespace(node.attribute("rdf:about").value_or(""));
  }
  std::string base_storage;
  const std::string_view item_base = OwnBase(node, parent_base, base_storage);
  if (!link.empty()) item.link = ResolveUrl(item_base, std::move(link));

  Text summary = HtmlElement(children.FirstOf({Name::kDescription, Name::kDcDescription}));
  if (summary.text.empty()) summary = AtomText(children[Name::kAtomSummary]);
  item.summary_text = std::move(summary.text);
  item.summary_html = std::move(summary.html);
  Text content =
      HtmlElement(children.FirstOf({Name::kContentEncoded, Name::kBody, Name::kFullitem}));
  if (content.text.empty()) content = AtomText(children[Name::kAtomContent]);
  item.content_text = std::move(content.text);
  item.content_html = std::move(content.html);
  ReadMediaText(node, item);

  item.author = AuthorName(HtmlElement(children.FirstOf({Name::kAuthor, Name::kDcCreator,
                                                         Name::kDcAuthor, Name::kItunesAuthor}),
                                       Keep::kLine)
                               .text);
  if (item.author.empty()) {
    item.author = Value(Children(children[Name::kAtomAuthor])[Name::kAtomName]);
  }

  // dc:date says only "a date in the item's life"; it stands for whichever of the two the feed
  // does not give otherwise.
  item.published = FirstDate(children, {Name::kPubDate, Name::kAtomPublished, Name::kDctermsIssued,
                                        Name::kDctermsCreated, Name::kDcDate});
  item.updated = FirstDate(children, {Name::kAtomUpdated, Name::kDctermsModified, Name::kDcDate});

  for (const auto& [child, name] : children.elements()) {
    if (name == Name::kCategory || name == Name::kDcSubject) {
      std::string storage;
      if (std::string category = HtmlToText(DirectText(child, storage)); !category.empty()) {
        item.categories.push_back(std::move(category));
      }
    } else if (name == Name::kEnclosure || name == Name::kMediaContent) {
      Enclosure enclosure;
      enclosure.url = CollapseWhitespace(child.attribute("url").value_or(""));
      if (enclosure.url.empty()) continue;
      enclosure.url = ResolveUrl(item_base, std::move(enclosure.url));
      enclosure.type = CollapseWhitespace(child.attribute("type").value_or(""));
      enclosure.length =
          ToInt(child.attribute(name == Name::kEnclosure ? "length" : "fileSize").value_or(""));
      item.enclosures.push_back(std::move(enclosure));
    }
  }
}

}  // namespace

void ReadRss(const XmlNode& root, const Document& document, const std::string& base,
             size_t max_items, Feed& feed) {
  const std::string_view root_name = root.name();
  if (NameIs(root, "rdf:RDF") || NameIs(root, "RDF")) {
    feed.format = document.rss090 ? "rss0.9x" : "rss1.0";
  } else {
    const std::string_view version = root.attribute("version").value_or("");
    feed.format = version.starts_with("0.9") ? "rss0.9x" : "rss2.0";
  }
  const Children in_root(root);
  const XmlNode channel = NameIs(root, "channel") ? root : in_root[Name::kChannel];
  if (!channel && !in_root[Name::kItem]) {
    feed.warnings.push_back("<" + std::string(root_name) + "> has neither <channel> nor <item>");
  }
  const Children in_channel(channel);
  feed.title = HtmlElement(in_channel.FirstOf({Name::kTitle, Name::kDcTitle}), Keep::kLine).text;
  std::string link = LinkValue(in_channel[Name::kLink]);
  if (link.empty()) link = AtomAlternate(in_channel);
  std::string base_storage;
  const std::string_view channel_base = BaseFor(channel, base, base_storage);
  feed.link = link.empty() ? "" : ResolveUrl(channel_base, std::move(link));
  ReadSchedulingHints(in_channel, feed);

  // A document read from a file has no web address; its channel link stands in.
  const std::string item_base = IsHttpUrl(base) || !IsHttpUrl(feed.link) ? base : feed.link;
  // RSS 2.0 items are in the channel; RSS 0.90 and 1.0 items are its siblings.
  const size_t count =
      in_channel.Count(Name::kItem) + (root == channel ? 0 : in_root.Count(Name::kItem));
  const ItemWindow window(count, max_items);
  window.Warn(feed);
  feed.items.reserve(std::min(count, max_items == 0 ? count : max_items));
  size_t index = 0;
  // The bases of the items' parents, found once.
  std::string storage;
  const std::string channel_items_base(BaseFor(channel, item_base, storage));
  const std::string root_items_base(BaseFor(root, item_base, storage));
  for (const Children* parent : {&in_channel, &in_root}) {
    if (parent == &in_root && root == channel) continue;
    const std::string& parent_base = parent == &in_channel ? channel_items_base : root_items_base;
    for (const auto& [node, name] : parent->elements()) {
      if (name != Name::kItem || !window.Reads(index++) || CutOff(node, feed)) continue;
      ReadItem(node, parent_base, feed.items.emplace_back());
      if (!AfterItem(feed)) return;
    }
  }
}

}  // namespace feedwatch::feeds::internal
