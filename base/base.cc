#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>

#include "base/clock.h"
#include "base/hash.h"

namespace feedwatch {

std::string FormatIso8601(TimePoint t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02ld:%02ld:%02lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
                static_cast<long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf.data();
}

namespace {

// Fetched once: EVP_sha256() looks the implementation up among the providers on every call,
// which cost a third of hashing an item's text.
const EVP_MD* Sha256Method() {
  static EVP_MD* const fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return fetched != nullptr ? fetched : EVP_sha256();
}

std::string Hex(const unsigned char* digest, unsigned int length) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<size_t>(length) * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const int ok =
      EVP_Digest(data.data(), data.size(), digest.data(), &length, Sha256Method(), nullptr);
  assert(ok == 1);
  (void)ok;
  return Hex(digest.data(), length);
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  const int ok = EVP_DigestInit_ex(context_, Sha256Method(), nullptr);
  assert(ok == 1);
  (void)ok;
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

Sha256& Sha256::Add(std::string_view data) {
  const int ok = EVP_DigestUpdate(context_, data.data(), data.size());
  assert(ok == 1);
  (void)ok;
  return *this;
}

Sha256& Sha256::AddAsLine(std::string_view text) {
  for (size_t newline = text.find('\n'); newline != std::string_view::npos;
       newline = text.find('\n')) {
    Add(text.substr(0, newline)).Add(" ");
    text.remove_prefix(newline + 1);
  }
  return Add(text);
}

std::string Sha256::Hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const int ok = EVP_DigestFinal_ex(context_, digest.data(), &length);
  assert(ok == 1);
  (void)ok;
  return feedwatch::Hex(digest.data(), length);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const unsigned char* ok = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                                 reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                                 digest.data(), &length);
  assert(ok != nullptr);
  (void)ok;
  return {reinterpret_cast<const char*>(digest.data()), length};
}

bool SecretEquals(std::string_view given, std::string_view expected) {
  const std::string a = Sha256Hex(given);
  const std::string b = Sha256Hex(expected);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(data.data()),
                                      static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  // EVP_DecodeBlock skips leading and trailing whitespace and ignores nothing else, but counts
  // padding as zero bytes: the padding is taken off afterwards.
  const bool valid = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
  });
  const size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  if (!valid || text.substr(0, text.size() - padding).find('=') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out(3 * (text.size() / 4), '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  if (written < 0) return std::nullopt;
  out.resize(static_cast<size_t>(written) - padding);
  return out;
}

}  // namespace feedwatch
