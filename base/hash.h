#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace feedwatch {

// std::hash of strings that lets an unordered container keyed by std::string be searched with a
// std::string_view, without building a string (with std::equal_to<> as the key equality).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// Lower-case hex SHA-256 of `data`. Stable across builds and machines, so it can be stored.
std::string Sha256Hex(std::string_view data);

// The raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);

// Whether a secret a peer `given` equals the `expected` one, in time that depends on neither
// (CRYPTO_memcmp over both SHA-256 digests: not even the length shows).
bool SecretEquals(std::string_view given, std::string_view expected);

// Standard base64 (RFC 4648 section 4) with padding, on one line.
std::string Base64Encode(std::string_view data);
// nullopt when `text` is not padded standard base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace feedwatch
