// Internal to feeds/: a fixed set of ASCII names looked up case-insensitively without a string
// comparison per candidate. The parsers classify every element and tag name they meet, so a
// lookup is a hash of the name, one slot and one comparison, and the table is built at compile
// time.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/text.h"

namespace feedwatch::feeds::internal {

template <typename Value, size_t kSize>
class NameTable {
 public:
  struct Entry {
    std::string_view name;  // lower case
    Value value;
  };

  // The longest name a table can hold; longer names are never found.
  static constexpr size_t kLongest = 24;

  // `entries` must be distinct lower-case names no longer than kLongest.
  constexpr explicit NameTable(const std::array<Entry, kSize>& entries) : entries_(entries) {
    for (int16_t& slot : slots_) slot = -1;
    for (size_t i = 0; i < kSize; ++i) {
      size_t slot = Hash(entries[i].name);
      while (slots_[slot] >= 0) slot = (slot + 1) % kSlots;
      slots_[slot] = static_cast<int16_t>(i);
    }
  }

  // The value of `name` (any case), or `missing`.
  constexpr Value Find(std::string_view name, Value missing) const {
    if (name.size() > kLongest) return missing;
    return Probe</*any_case=*/true>(name, Hash(name), missing);
  }

  // The value of the NUL-terminated `name` (any case), or `missing`; spares the caller a strlen.
  constexpr Value Find(const char* name, Value missing) const {
    size_t size = 0;
    while (name[size] != '\0') {
      if (++size > kLongest) return missing;
    }
    return Find(std::string_view(name, size), missing);
  }

  // The value of `name` spelled exactly as in the table, or `missing`.
  constexpr Value FindExact(std::string_view name, Value missing) const {
    if (name.size() > kLongest) return missing;
    return Probe</*any_case=*/false>(name, Hash(name), missing);
  }

 private:
  // At most half full, so that a miss ends within a slot or two.
  static constexpr size_t kSlots = std::bit_ceil(kSize * 2 + 1);

  // Whether `name` is the (lower-case) `entry`, in any case with `any_case`. Names are short: a
  // loop beats a call to memcmp.
  template <bool any_case>
  static constexpr bool Equal(std::string_view entry, std::string_view name) {
    if (entry.size() != name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      if (entry[i] != (any_case ? AsciiLower(name[i]) : name[i])) return false;
    }
    return true;
  }

  template <bool any_case>
  constexpr Value Probe(std::string_view name, size_t slot, Value missing) const {
    for (; slots_[slot] >= 0; slot = (slot + 1) % kSlots) {
      const Entry& entry = entries_[static_cast<size_t>(slots_[slot])];
      if (Equal<any_case>(entry.name, name)) return entry.value;
    }
    return missing;
  }

  // From the length and three letters, case aside: constant time, and enough to spread names
  // apart.
  static constexpr size_t Hash(std::string_view name) {
    if (name.empty()) return 0;
    const auto at = [&](size_t i) {
      return static_cast<size_t>(static_cast<unsigned char>(AsciiLower(name[i])));
    };
    return (name.size() * 0x9E37 + at(0) * 961 + at(name.size() / 2) * 31 + at(name.size() - 1)) %
           kSlots;
  }

  std::array<Entry, kSize> entries_;
  std::array<int16_t, kSlots> slots_{};
};

}  // namespace feedwatch::feeds::internal
