#include "config/units.h"

#include <array>
#include <limits>
#include <string>
#include <utility>

namespace feedwatch::config {
namespace {

// Reads the decimal digits at the front of `text`; false when there are none or they overflow.
bool TakeNumber(std::string_view& text, std::uint64_t& value) {
  size_t i = 0;
  value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
    ++i;
  }
  text.remove_prefix(i);
  return i > 0;
}

bool MultiplyChecked(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return false;
  out = a * b;
  return true;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 5> kUnits{
      {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
  const auto invalid = [&] {
    return Error::InvalidInput("invalid duration \"" + std::string(text) +
                               "\": expected a number and a unit (ms, s, m, h, d), like \"90s\", "
                               "\"10m\" or \"1h30m\"");
  };
  std::string_view rest = text;
  std::uint64_t total = 0;
  if (rest.empty()) return invalid();
  while (!rest.empty()) {
    std::uint64_t number = 0;
    if (!TakeNumber(rest, number)) return invalid();
    size_t unit_length = 0;
    while (unit_length < rest.size() && rest[unit_length] >= 'a' && rest[unit_length] <= 'z') {
      ++unit_length;
    }
    const std::string_view unit = rest.substr(0, unit_length);
    rest.remove_prefix(unit_length);
    bool known = false;
    for (const auto& [name, millis] : kUnits) {
      if (unit != name) continue;
      std::uint64_t part = 0;
      if (!MultiplyChecked(number, millis, part) || total + part < total) return invalid();
      total += part;
      known = true;
    }
    if (!known) return invalid();
  }
  if (total == 0) {
    return Error::InvalidInput("invalid duration \"" + std::string(text) + "\": must be positive");
  }
  if (total > static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max())) {
    return invalid();
  }
  return Duration(static_cast<Duration::rep>(total));
}

Result<std::uint64_t> ParseSize(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 8> kUnits{
      {{"", 1},
       {"B", 1},
       {"KiB", 1ULL << 10},
       {"MiB", 1ULL << 20},
       {"GiB", 1ULL << 30},
       {"kB", 1000},
       {"MB", 1000 * 1000},
       {"GB", 1000 * 1000 * 1000}}};
  std::string_view rest = text;
  std::uint64_t number = 0;
  if (TakeNumber(rest, number)) {
    for (const auto& [name, multiplier] : kUnits) {
      std::uint64_t bytes = 0;
      if (rest == name && MultiplyChecked(number, multiplier, bytes)) return bytes;
    }
  }
  return Error::InvalidInput("invalid size \"" + std::string(text) +
                             "\": expected a number and a unit (B, KiB, MiB, GiB, kB, MB, GB), "
                             "like \"10MiB\"");
}

}  // namespace feedwatch::config
