// Sets of IP networks, for telling an internal address from an external one.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace feedwatch::net {

// A set of IPv4 and IPv6 networks in CIDR notation ("10.0.0.0/8", "fc00::/7", "127.0.0.1").
// An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is looked up as the IPv4 address it maps.
class AddressSet {
 public:
  // The networks a feed on the internet has no business sending feedwatch to: loopback, RFC 1918
  // private, link-local, carrier-grade NAT, "this network", unique-local and link-local IPv6,
  // and the IPv6 loopback and unspecified addresses.
  static const std::vector<std::string>& InternalDefaults();

  // InvalidInput naming the first entry that is not a network.
  static Result<AddressSet> Parse(const std::vector<std::string>& networks);

  // Whether `address` (textual, as curl reports the address it connected to) is in the set;
  // false for anything that is not an IP address.
  bool Contains(std::string_view address) const;

 private:
  struct Network {
    std::array<uint8_t, 16> bytes;  // IPv4 in the first four
    int prefix;                     // bits
    bool v4;
  };
  std::vector<Network> networks_;
};

}  // namespace feedwatch::net
