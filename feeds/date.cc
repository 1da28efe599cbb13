#include "feeds/date.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "base/text.h"

namespace feedwatch::feeds {
namespace {

struct Fields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int offset_minutes = 0;  // local time = UTC + offset
};

std::optional<TimePoint> ToTimePoint(const Fields& f) {
  using namespace std::chrono;
  if (f.year < 1900 || f.year > 9999) return std::nullopt;
  const year_month_day ymd{year{f.year}, month{static_cast<unsigned>(f.month)},
                           day{static_cast<unsigned>(f.day)}};
  if (!ymd.ok() || f.hour > 24 || f.minute > 59 || f.second > 60) return std::nullopt;
  if (f.hour == 24 && (f.minute != 0 || f.second != 0)) return std::nullopt;
  const int second = f.second == 60 ? 59 : f.second;  // a leap second reads as :59
  return sys_days{ymd} + hours{f.hour} + minutes{f.minute} + seconds{second} -
         minutes{f.offset_minutes};
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Whether `text` lowered is `lower`, or with `prefix`, starts with it.
bool EqualsLowered(std::string_view text, std::string_view lower, bool prefix = false) {
  if (prefix ? text.size() < lower.size() : text.size() != lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    if (AsciiLower(text[i]) != lower[i]) return false;
  }
  return true;
}

// A date's words, kept without allocating: no date has more than a handful.
class Words {
 public:
  static constexpr size_t kCapacity = 16;

  // False when there is no room left.
  bool Insert(size_t at, std::string_view word) {
    if (size_ == kCapacity) return false;
    std::copy_backward(words_.begin() + at, words_.begin() + size_, words_.begin() + size_ + 1);
    words_[at] = word;
    ++size_;
    return true;
  }
  bool PushBack(std::string_view word) { return Insert(size_, word); }
  void Erase(size_t at) {
    std::copy(words_.begin() + at + 1, words_.begin() + size_, words_.begin() + at);
    --size_;
  }
  void PopBack() { --size_; }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view operator[](size_t i) const { return words_[i]; }
  std::string_view back() const { return words_[size_ - 1]; }

 private:
  std::array<std::string_view, kCapacity> words_{};
  size_t size_ = 0;
};

// Reads exactly `count` digits (or, when count is 0, one or more) at text[pos].
bool Digits(std::string_view text, size_t& pos, size_t count, int& out) {
  const size_t start = pos;
  out = 0;
  while (pos < text.size() && IsDigit(text[pos]) && (count == 0 || pos - start < count)) {
    if (pos - start >= 9) return false;
    out = out * 10 + (text[pos] - '0');
    ++pos;
  }
  return count == 0 ? pos > start : pos - start == count;
}

// "+0300", "-05:00", "+03".
bool NumericOffset(std::string_view text, int& minutes) {
  if (text.size() < 3 || (text[0] != '+' && text[0] != '-')) return false;
  const int sign = text[0] == '-' ? -1 : 1;
  size_t pos = 1;
  int hours = 0, mins = 0;
  if (!Digits(text, pos, 2, hours)) return false;
  if (pos < text.size() && text[pos] == ':') ++pos;
  if (pos < text.size() && !Digits(text, pos, 2, mins)) return false;
  if (pos != text.size() || hours > 23 || mins > 59) return false;
  minutes = sign * (hours * 60 + mins);
  return true;
}

bool NamedZone(std::string_view name, int& minutes) {
  struct Zone {
    std::string_view name;
    int offset;
  };
  static constexpr std::array<Zone, 21> kZones{{
      {"ut", 0},        {"utc", 0},       {"gmt", 0},       {"z", 0},         {"est", -5 * 60},
      {"edt", -4 * 60}, {"cst", -6 * 60}, {"cdt", -5 * 60}, {"mst", -7 * 60}, {"mdt", -6 * 60},
      {"pst", -8 * 60}, {"pdt", -7 * 60}, {"msk", 3 * 60},  {"msd", 4 * 60},  {"bst", 1 * 60},
      {"cet", 1 * 60},  {"cest", 2 * 60}, {"eet", 2 * 60},  {"eest", 3 * 60}, {"wet", 0},
      {"west", 1 * 60},
  }};
  for (const Zone& zone : kZones) {
    if (EqualsLowered(name, zone.name)) {
      minutes = zone.offset;
      return true;
    }
  }
  // RFC 822 military zones as RFC 822 defines them (A-I = -1..-9, K-M = -10..-12, N-Y =
  // +1..+12; J is not a zone), which is how feed parsers read them. RFC 1123 notes the signs are
  // the reverse of military use; nobody but "Z" uses them in practice.
  const char c = name.size() == 1 ? AsciiLower(name[0]) : '\0';
  if (c >= 'a' && c <= 'y' && c != 'j') {
    if (c <= 'i') {
      minutes = -(c - 'a' + 1) * 60;
    } else if (c <= 'm') {
      minutes = -(c - 'k' + 10) * 60;
    } else {
      minutes = (c - 'n' + 1) * 60;
    }
    return true;
  }
  return false;
}

bool Zone(std::string_view text, int& minutes) {
  if (text.empty()) return true;
  if (text.starts_with("GMT") && text.size() > 3) text.remove_prefix(3);  // "GMT+0300"
  return NumericOffset(text, minutes) || NamedZone(text, minutes);
}

int MonthNumber(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths{
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (EqualsLowered(name, kMonths[i], /*prefix=*/true)) return static_cast<int>(i) + 1;
  }
  return 0;
}

// "HH:MM[:SS]" possibly followed by a zone glued on ("06:00:00+0300").
bool Time(std::string_view text, Fields& f, std::string_view& rest) {
  size_t pos = 0;
  if (!Digits(text, pos, 0, f.hour) || pos > 2 || pos >= text.size() || text[pos] != ':')
    return false;
  ++pos;
  if (!Digits(text, pos, 2, f.minute)) return false;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!Digits(text, pos, 2, f.second)) return false;
    if (pos < text.size() && text[pos] == '.') {  // fractions of a second are dropped
      int ignored = 0;
      ++pos;
      if (!Digits(text, pos, 0, ignored)) return false;
    }
  }
  rest = text.substr(pos);
  return true;
}

bool WholeNumber(std::string_view word, int& out) {
  size_t p = 0;
  return Digits(word, p, 0, out) && p == word.size();
}

// RFC 822/1123 and what feeds write instead: no weekday or a weekday in another language, one-
// digit days, two-digit years, missing seconds or zone, "11-Jun-25" (RFC 850), month first
// ("Jun 11 2025 06:00"), and asctime ("Wed Jun 11 06:00:00 [UTC] 2025").
std::optional<TimePoint> ParseRfc822(std::string_view text) {
  Words words;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == ',' || text[pos] == '\t')) ++pos;
    const size_t start = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != ',' && text[pos] != '\t') ++pos;
    if (pos > start && !words.PushBack(text.substr(start, pos - start))) return std::nullopt;
  }
  // "11-Jun-25" is three words.
  for (size_t i = 0; i < words.size() && i < 2; ++i) {
    const std::string_view word = words[i];
    const size_t first = word.find('-');
    const size_t second = first == std::string_view::npos ? first : word.find('-', first + 1);
    if (second != std::string_view::npos && !word.empty() && IsDigit(word[0])) {
      words.Erase(i);
      if (!words.Insert(i, word.substr(second + 1)) ||
          !words.Insert(i, word.substr(first + 1, second - first - 1)) ||
          !words.Insert(i, word.substr(0, first))) {
        return std::nullopt;
      }
      break;
    }
  }
  size_t w = 0;
  // A weekday, in whatever language: any leading word that is neither a number nor a month.
  if (w < words.size() && !IsDigit(words[w][0]) && MonthNumber(words[w]) == 0) ++w;
  if (words.size() - w < 3) return std::nullopt;
  Fields f;
  if (WholeNumber(words[w], f.day)) {
    f.month = MonthNumber(words[w + 1]);
  } else {
    f.month = MonthNumber(words[w]);
    if (!WholeNumber(words[w + 1], f.day)) return std::nullopt;
  }
  if (f.month == 0 || words[w + 1].empty()) return std::nullopt;
  w += 2;
  // The year, unless asctime puts the time (and maybe a zone) first.
  Words rest;
  for (size_t i = w; i < words.size(); ++i) rest.PushBack(words[i]);
  if (!rest.empty() && rest[0].find(':') != std::string_view::npos &&
      WholeNumber(rest.back(), f.year)) {
    rest.PopBack();
    rest.Insert(0, words.back());
  }
  if (rest.empty() || !WholeNumber(rest[0], f.year)) return std::nullopt;
  if (rest[0].size() == 2) f.year += f.year < 50 ? 2000 : 1900;
  size_t r = 1;
  if (r < rest.size()) {
    std::string_view glued;
    if (!Time(rest[r], f, glued)) return std::nullopt;
    ++r;
    if (!glued.empty()) {
      if (!Zone(glued, f.offset_minutes)) return std::nullopt;
    } else if (r < rest.size() && !rest[r].starts_with("(")) {
      if (!Zone(rest[r], f.offset_minutes)) return std::nullopt;
      ++r;
    }
  }
  // Trailing words such as "(MSK)" after a numeric zone are comments.
  if (r < rest.size() && !rest[r].starts_with("(")) return std::nullopt;
  return ToTimePoint(f);
}

// "20250611T060000Z": the basic format, rewritten into the extended one.
std::optional<std::string> ExtendIsoBasic(std::string_view text) {
  if (text.size() < 15 || text[8] != 'T') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (!IsDigit(text[i])) return std::nullopt;
  }
  return std::string(text.substr(0, 4)) + "-" + std::string(text.substr(4, 2)) + "-" +
         std::string(text.substr(6, 2)) + "T" + std::string(text.substr(9, 2)) + ":" +
         std::string(text.substr(11, 2)) + ":" + std::string(text.substr(13, 2)) +
         std::string(text.substr(15));
}

std::optional<TimePoint> ParseIso8601(std::string_view text) {
  Fields f;
  size_t pos = 0;
  if (!Digits(text, pos, 4, f.year) || pos >= text.size() || text[pos++] != '-')
    return std::nullopt;
  if (!Digits(text, pos, 2, f.month)) return std::nullopt;
  if (pos < text.size() && text[pos] == '-') {
    ++pos;
    if (!Digits(text, pos, 2, f.day)) return std::nullopt;
  } else {
    f.day = 1;
  }
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
    ++pos;
    std::string_view rest;
    if (!Time(text.substr(pos), f, rest)) return std::nullopt;
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (!Zone(rest, f.offset_minutes)) return std::nullopt;
  }
  return ToTimePoint(f);
}

}  // namespace

std::optional<TimePoint> ParseDate(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (text.size() >= 7 && IsDigit(text[0]) && IsDigit(text[1]) && IsDigit(text[2]) &&
      IsDigit(text[3]) && text[4] == '-') {
    return ParseIso8601(text);
  }
  if (const std::optional<std::string> extended = ExtendIsoBasic(text)) {
    return ParseIso8601(*extended);
  }
  return ParseRfc822(text);
}

}  // namespace feedwatch::feeds
