#pragma once

#include <string>
#include <string_view>

namespace feedwatch {

// Lower-case hex SHA-256 of `data`. Stable across builds and machines, so it can be stored.
std::string Sha256Hex(std::string_view data);

}  // namespace feedwatch
