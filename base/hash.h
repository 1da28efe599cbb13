#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace feedwatch {

// std::hash of strings that lets an unordered container keyed by std::string be searched with a
// std::string_view, without building a string (with std::equal_to<> as the key equality).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// Lower-case hex SHA-256 of `data`. Stable across builds and machines, so it can be stored.
std::string Sha256Hex(std::string_view data);

// SHA-256 of data given in parts, without joining them: Sha256().Add(a).Add(b).Hex() ==
// Sha256Hex(a + b).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& Add(std::string_view data);
  // `text` with each '\n' read as a space: the bytes of ParagraphsAsLine(text), uncopied.
  Sha256& AddAsLine(std::string_view text);
  // The lower-case hex digest of what was added; Add nothing after it.
  std::string Hex();

 private:
  evp_md_ctx_st* context_;  // OpenSSL's EVP_MD_CTX
};

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
