#include "daemon/feed_names.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "base/text.h"

namespace feedwatch::daemon {
namespace {

constexpr size_t kMaxSlug = 40;

// ICAO Doc 9303 Part 3, for а (U+0430) to я (U+044F). Ь is left out.
constexpr std::array<std::string_view, 32> kCyrillic = {
    "a", "b", "v", "g", "d", "e",  "zh", "z",  "i",  "i",    "k",  "l", "m", "n", "o",  "p",
    "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "ie", "y", "",  "e", "iu", "ia"};

// The Latin letters NFKD does not take apart, and the other Cyrillic letters of Russian,
// Ukrainian and Belarusian, as ICAO writes them.
constexpr std::array<std::pair<char32_t, std::string_view>, 13> kOtherLetters = {{
    {U'ø', "o"},
    {U'æ', "ae"},
    {U'œ', "oe"},
    {U'ł', "l"},
    {U'đ', "d"},
    {U'ð', "d"},
    {U'þ', "th"},
    {U'ı', "i"},
    {U'ё', "e"},
    {U'є', "ie"},
    {U'і', "i"},  // ї is і and a diaeresis
    {U'ґ', "g"},
    {U'ў', "u"},
}};

bool IsUkrainianOnly(char32_t c) { return c == U'і' || c == U'є' || c == U'ґ'; }

bool IsMark(char32_t c) {
  const utf8proc_category_t category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_MN || category == UTF8PROC_CATEGORY_MC ||
         category == UTF8PROC_CATEGORY_ME;
}

// `text` case-folded and compatibility-decomposed, as code points: "À" is "a" and a grave
// accent, "ﬁ" is "fi", "й" is "и" and a breve. Bytes that are not UTF-8 are U+FFFD.
std::u32string Folded(std::string_view text) {
  std::string valid;
  CopyUtf8Replacing(text, valid);
  utf8proc_uint8_t* mapped = nullptr;
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPAT |
                                                      UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD);
  const utf8proc_ssize_t length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(valid.data()),
                   static_cast<utf8proc_ssize_t>(valid.size()), &mapped, options);
  const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(mapped, &std::free);
  std::u32string out;
  if (length < 0) return out;
  for (utf8proc_ssize_t at = 0; at < length;) {
    utf8proc_int32_t c = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(mapped + at, length - at, &c);
    if (n <= 0) break;
    out += static_cast<char32_t>(c);
    at += n;
  }
  return out;
}

// The ASCII a letter or digit is written with; nullopt for anything else (a separator).
std::optional<std::string_view> Latin(char32_t c, bool ukrainian) {
  static constexpr std::string_view kAscii = "abcdefghijklmnopqrstuvwxyz0123456789";
  if (c < 0x80) {
    const size_t at = kAscii.find(static_cast<char>(c));
    if (at == std::string_view::npos) return std::nullopt;
    return kAscii.substr(at, 1);
  }
  if (c == U'и' && ukrainian) return "y";  // ICAO's one exception for Ukrainian
  if (c >= U'а' && c <= U'я') return kCyrillic[c - U'а'];
  for (const auto& [letter, written] : kOtherLetters) {
    if (c == letter) return written;
  }
  return std::nullopt;
}

// The feed URL's last path segment that names something: "/ru/rss/politics.xml" -> "politics".
std::string PathName(std::string_view url) {
  static const std::set<std::string, std::less<>> says_nothing = {
      "rss",  "rss2",  "rdf",     "atom",   "feed",        "feeds", "rssfeed", "xml",
      "json", "index", "default", "export", "syndication", "v1",    "v2",      "v3"};
  static constexpr std::array<std::string_view, 12> kExtensions = {
      ".xml", ".rss",  ".rdf", ".atom", ".json", ".php",
      ".asp", ".aspx", ".cgi", ".jsp",  ".html", ".htm"};
  const size_t scheme = url.find("://");
  std::string_view path = url;
  if (scheme != std::string_view::npos) {
    const size_t slash = url.find('/', scheme + 3);
    path = slash == std::string_view::npos ? "" : url.substr(slash);
  }
  path = path.substr(0, path.find_first_of("?#"));
  while (!path.empty()) {
    const size_t slash = path.rfind('/');
    std::string segment(path.substr(slash == std::string_view::npos ? 0 : slash + 1));
    path = path.substr(0, slash == std::string_view::npos ? 0 : slash);
    segment = PercentDecode(segment).value_or(segment);
    for (const std::string_view extension : kExtensions) {
      if (segment.size() > extension.size() &&
          EqualsIgnoringCase(std::string_view(segment).substr(segment.size() - extension.size()),
                             extension)) {
        segment.resize(segment.size() - extension.size());
        break;
      }
    }
    std::string name = Slug(segment);
    if (!name.empty() && !says_nothing.contains(name)) return name;
  }
  return "";
}

}  // namespace

std::string Slug(std::string_view text) {
  const std::u32string folded = Folded(text);
  const bool ukrainian =
      std::any_of(folded.begin(), folded.end(), [](char32_t c) { return IsUkrainianOnly(c); });
  std::string slug;
  for (size_t i = 0; i < folded.size(); ++i) {
    const char32_t c = folded[i];
    if (IsMark(c)) continue;  // accents: "é" is "e"
    // Й is И and a breve: "i" in Ukrainian too, where И alone is "y".
    const bool short_i = c == U'и' && i + 1 < folded.size() && folded[i + 1] == U'\u0306';
    if (const std::optional<std::string_view> written =
            short_i ? std::optional<std::string_view>("i") : Latin(c, ukrainian)) {
      slug += *written;  // "" for ь: a letter inside a word, not a break
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
    if (slug.size() > kMaxSlug) break;
  }
  if (slug.size() > kMaxSlug) {
    // Whole words when there is more than one.
    const size_t dash = slug.rfind('-', kMaxSlug);
    slug.resize(dash != std::string::npos && dash > 0 ? dash : kMaxSlug);
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

std::vector<std::string> FeedNames(const std::vector<feeds::AdvertisedFeed>& feeds,
                                   std::string_view page_url) {
  const size_t scheme = page_url.find("://");
  const std::string_view host =
      scheme == std::string_view::npos
          ? ""
          : page_url.substr(scheme + 3, page_url.find('/', scheme + 3) - scheme - 3);
  std::set<std::string> taken;
  std::vector<std::string> names;
  names.reserve(feeds.size());
  for (const feeds::AdvertisedFeed& feed : feeds) {
    std::string name = Slug(feed.title);
    if (name.empty()) name = PathName(feed.url);
    if (name.empty()) name = Slug(host);
    if (name.empty()) name = "feed";
    const std::string first_choice = name;
    for (int n = 2; !taken.insert(name).second; ++n) name = first_choice + "-" + std::to_string(n);
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace feedwatch::daemon
