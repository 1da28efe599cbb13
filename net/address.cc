#include "net/address.h"

#include <arpa/inet.h>

#include <cstring>
#include <optional>

namespace feedwatch::net {
namespace {

struct Address {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
};

std::optional<Address> ParseAddress(std::string_view text) {
  if (text.size() > 63) return std::nullopt;
  const std::string copy(text);
  Address address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.v4 = true;
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) return std::nullopt;
  static constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0,    0,
                                                            0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(address.bytes.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0) {
    std::memmove(address.bytes.data(), address.bytes.data() + 12, 4);
    std::memset(address.bytes.data() + 4, 0, 12);
    address.v4 = true;
  }
  return address;
}

bool PrefixMatches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int prefix) {
  const int whole = prefix / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(whole)) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

const std::vector<std::string>& AddressSet::InternalDefaults() {
  static const std::vector<std::string> kDefaults = {
      "0.0.0.0/8",      "10.0.0.0/8",    "100.64.0.0/10",  "127.0.0.0/8",
      "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "::/128",
      "::1/128",        "fc00::/7",      "fe80::/10"};
  return kDefaults;
}

Result<AddressSet> AddressSet::Parse(const std::vector<std::string>& networks) {
  AddressSet set;
  for (const std::string& network : networks) {
    const size_t slash = network.find('/');
    const std::optional<Address> address = ParseAddress(std::string_view(network).substr(0, slash));
    const int bits = address && address->v4 ? 32 : 128;
    int prefix = bits;
    if (address && slash != std::string::npos) {
      const std::string digits = network.substr(slash + 1);
      prefix = -1;
      if (!digits.empty() && digits.size() <= 3 &&
          digits.find_first_not_of("0123456789") == std::string::npos) {
        prefix = std::stoi(digits);
      }
    }
    if (!address || prefix < 0 || prefix > bits) {
      return Error::InvalidInput("\"" + network +
                                 "\" is not a network; expected an address with an optional "
                                 "prefix length, like \"10.0.0.0/8\" or \"fc00::/7\"");
    }
    set.networks_.push_back({address->bytes, prefix, address->v4});
  }
  return set;
}

bool AddressSet::Contains(std::string_view text) const {
  const std::optional<Address> address = ParseAddress(text);
  if (!address) return false;
  for (const Network& network : networks_) {
    if (network.v4 == address->v4 && PrefixMatches(network.bytes, address->bytes, network.prefix)) {
      return true;
    }
  }
  return false;
}

}  // namespace feedwatch::net
