#include "feeds/date.h"

#include <array>
#include <cctype>
#include <string>
#include <vector>

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
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

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
  const std::string lower = Lower(name);
  for (const Zone& zone : kZones) {
    if (lower == zone.name) {
      minutes = zone.offset;
      return true;
    }
  }
  // RFC 822 military zones: A-I = +1..+9, K-M = +10..+12, N-Y = -1..-12 (J is not a zone).
  if (lower.size() == 1 && lower[0] >= 'a' && lower[0] <= 'y' && lower[0] != 'j') {
    const char c = lower[0];
    if (c <= 'i')
      minutes = (c - 'a' + 1) * 60;
    else if (c <= 'm')
      minutes = (c - 'k' + 10) * 60;
    else
      minutes = -(c - 'n' + 1) * 60;
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
  if (name.size() < 3) return 0;
  const std::string lower = Lower(name);
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (lower.starts_with(kMonths[i])) return static_cast<int>(i) + 1;
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

std::optional<TimePoint> ParseRfc822(std::string_view text) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == ',' || text[pos] == '\t')) ++pos;
    const size_t start = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != ',' && text[pos] != '\t') ++pos;
    if (pos > start) words.push_back(text.substr(start, pos - start));
  }
  size_t w = 0;
  if (w < words.size() && IsAlpha(words[w][0]) && MonthNumber(words[w]) == 0) ++w;  // weekday
  if (words.size() - w < 3) return std::nullopt;
  Fields f;
  size_t p = 0;
  // "11 Jun 2025" and, as some US feeds write, "Jun 11 2025".
  if (Digits(words[w], p, 0, f.day) && p == words[w].size()) {
    f.month = MonthNumber(words[w + 1]);
  } else {
    f.month = MonthNumber(words[w]);
    p = 0;
    if (!Digits(words[w + 1], p, 0, f.day) || p != words[w + 1].size()) return std::nullopt;
  }
  if (f.month == 0) return std::nullopt;
  p = 0;
  if (!Digits(words[w + 2], p, 0, f.year) || p != words[w + 2].size()) return std::nullopt;
  if (p == 2) f.year += f.year < 50 ? 2000 : 1900;
  w += 3;
  if (w < words.size()) {
    std::string_view rest;
    if (!Time(words[w], f, rest)) return std::nullopt;
    ++w;
    if (!rest.empty()) {
      if (!Zone(rest, f.offset_minutes)) return std::nullopt;
    } else if (w < words.size()) {
      if (!Zone(words[w], f.offset_minutes)) return std::nullopt;
      ++w;
    }
  }
  // Trailing words such as "(MSK)" after a numeric zone are comments.
  if (w < words.size() && !words[w].starts_with("(")) return std::nullopt;
  return ToTimePoint(f);
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
  return ParseRfc822(text);
}

}  // namespace feedwatch::feeds
