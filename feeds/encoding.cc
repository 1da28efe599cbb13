#include "feeds/encoding.h"

#include <iconv.h>
#include <simdjson.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "base/text.h"

namespace feedwatch::feeds {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"' ||
                        s.front() == '\'' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '"' ||
                        s.back() == '\'' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// The name iconv is asked for. Latin-1 and ASCII labels read as windows-1252, their superset.
std::string Canonical(std::string_view label) {
  std::string name = AsciiLower(Trim(label));
  if (name == "utf8" || name == "utf-8" || name == "unicode-1-1-utf-8") return "utf-8";
  if (name == "iso-8859-1" || name == "iso8859-1" || name == "iso_8859-1" || name == "latin1" ||
      name == "latin-1" || name == "l1" || name == "us-ascii" || name == "ascii" ||
      name == "cp1252" || name == "x-cp1252") {
    return "windows-1252";
  }
  if (name == "cp1251" || name == "x-cp1251" || name == "win-1251") return "windows-1251";
  if (name == "unicode" || name == "ucs-2") return "utf-16";
  return name;
}

struct IconvCloser {
  void operator()(iconv_t cd) const { iconv_close(cd); }
};
using Iconv = std::unique_ptr<std::remove_pointer_t<iconv_t>, IconvCloser>;

std::optional<Iconv> OpenDecoder(const std::string& encoding) {
  iconv_t cd = iconv_open("UTF-8", encoding.c_str());
  // iconv_open reports failure as (iconv_t)-1.
  const auto failed = reinterpret_cast<iconv_t>(-1);  // NOLINT(performance-no-int-to-ptr)
  if (cd == failed) return std::nullopt;
  return Iconv(cd);
}

bool Known(const std::string& encoding) {
  return encoding == "utf-8" || OpenDecoder(encoding).has_value();
}

struct Utf8Census {
  size_t multibyte = 0;  // valid sequences of two or more bytes
  size_t invalid = 0;    // bytes that start no valid sequence
};

Utf8Census CountUtf8(std::string_view s) {
  Utf8Census census;
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t length = Utf8SequenceLength(s, i);
    if (length == 0) {
      ++census.invalid;
      ++i;
    } else {
      ++census.multibyte;
      i += length;
    }
  }
  return census;
}

// The single-byte encoding undeclared or mislabelled 8-bit bytes most likely are. Russian words
// are runs of bytes above 0x7F, mostly lower case, which windows-1251 puts at 0xE0-0xFF and
// koi8-r at 0xC0-0xDF; Western text has only the odd accented letter above 0x7F among ASCII.
std::string GuessSingleByte(std::string_view s) {
  size_t high = 0, in_runs = 0, c0_df = 0, e0_ff = 0;
  bool previous_high = false;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool is_high = c >= 0x80;
    high += is_high ? 1 : 0;
    in_runs += is_high && previous_high ? 1 : 0;
    if (c >= 0xC0 && c <= 0xDF) ++c0_df;
    if (c >= 0xE0) ++e0_ff;
    previous_high = is_high;
  }
  if (in_runs * 2 < high) return "windows-1252";
  return c0_df > e0_ff ? "koi8-r" : "windows-1251";
}

// Converts with iconv; each byte iconv rejects becomes U+FFFD.
size_t Convert(iconv_t cd, std::string_view in, std::string& out) {
  size_t replaced = 0;
  char* in_ptr = const_cast<char*>(in.data());  // iconv's signature; it does not write
  size_t in_left = in.size();
  std::array<char, 16384> buffer{};
  while (in_left > 0) {
    char* out_ptr = buffer.data();
    size_t out_left = buffer.size();
    const size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    out.append(buffer.data(), buffer.size() - out_left);
    if (rc != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    // EILSEQ: an invalid sequence; EINVAL: an incomplete one at the end.
    out += kUtf8Replacement;
    ++replaced;
    ++in_ptr;
    --in_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state
  }
  return replaced;
}

// The byte order mark at the start of `bytes`, as {encoding, length}.
std::pair<std::string, size_t> ByteOrderMark(std::string_view b) {
  const auto starts = [&](std::string_view prefix) { return b.starts_with(prefix); };
  using namespace std::string_view_literals;
  if (starts("\xEF\xBB\xBF"sv)) return {"utf-8", 3};
  if (starts("\x00\x00\xFE\xFF"sv)) return {"utf-32be", 4};
  if (starts("\xFF\xFE\x00\x00"sv)) return {"utf-32le", 4};
  if (starts("\xFE\xFF"sv)) return {"utf-16be", 2};
  if (starts("\xFF\xFE"sv)) return {"utf-16le", 2};
  return {"", 0};
}

// The encoding family the first bytes show when there is no BOM: "<?" or "<" in UTF-16/32 or
// EBCDIC. Empty means an ASCII-compatible encoding.
std::string Family(std::string_view b) {
  if (b.size() < 4) return "";
  const auto at = [&](size_t i) { return static_cast<unsigned char>(b[i]); };
  if (at(0) == 0 && at(1) == 0 && at(2) == 0 && at(3) == 0x3C) return "utf-32be";
  if (at(0) == 0x3C && at(1) == 0 && at(2) == 0 && at(3) == 0) return "utf-32le";
  if (at(0) == 0 && at(1) == 0x3C) return "utf-16be";
  if (at(0) == 0x3C && at(1) == 0) return "utf-16le";
  if (at(0) == 0x4C && at(1) == 0x6F && at(2) == 0xA7 && at(3) == 0x94) return "cp037";
  return "";
}

// The encoding="..." of an XML declaration at the start of `text` (ASCII), lower case.
std::string DeclaredEncoding(std::string_view text) {
  size_t start = 0;
  while (start < text.size() && (text[start] == ' ' || text[start] == '\t' || text[start] == '\r' ||
                                 text[start] == '\n')) {
    ++start;
  }
  text.remove_prefix(start);
  if (!text.starts_with("<?xml")) return "";
  const size_t end = text.find("?>");
  const std::string_view declaration = text.substr(0, end);
  const size_t key = declaration.find("encoding");
  if (key == std::string_view::npos) return "";
  size_t pos = declaration.find_first_of("\"'", key);
  if (pos == std::string_view::npos) return "";
  const char quote = declaration[pos++];
  const size_t close = declaration.find(quote, pos);
  if (close == std::string_view::npos) return "";
  return AsciiLower(declaration.substr(pos, close - pos));
}

// Whether `encoding` maps every byte to one character: the legacy encodings a feed's prolog or
// server claims out of habit (the CJK multi-byte ones are not among them).
bool IsSingleByte(const std::string& encoding) {
  return encoding.starts_with("windows-125") || encoding.starts_with("iso-8859-") ||
         encoding.starts_with("koi8") || encoding == "ibm866" || encoding == "cp866" ||
         encoding.starts_with("mac") || encoding.starts_with("x-mac");
}

bool IsUtf16Or32(const std::string& encoding) {
  return encoding.starts_with("utf-16") || encoding.starts_with("utf-32");
}

void Decode(std::string_view bytes, const std::string& encoding, Decoded& out,
            std::optional<bool> known_valid = std::nullopt) {
  out.encoding = encoding;
  if (encoding == "utf-8") {
    if (known_valid ? *known_valid : IsValidUtf8(bytes)) {
      out.text.assign(bytes);
    } else {
      out.replaced = CopyUtf8Replacing(bytes, out.text);
    }
    return;
  }
  std::optional<Iconv> cd = OpenDecoder(encoding);
  if (!cd) {  // a family this system's iconv lacks (a minimal image without gconv modules)
    out.encoding = "utf-8";
    out.replaced = CopyUtf8Replacing(bytes, out.text);
    return;
  }
  out.replaced = Convert(cd->get(), bytes, out.text);
}

}  // namespace

// The same rules as Utf8SequenceLength. simdjson picks the widest SIMD the CPU has at run time.
bool IsValidUtf8(std::string_view bytes) {
  return simdjson::validate_utf8(bytes.data(), bytes.size());
}

void AppendUtf8(char32_t c, std::string& out) {
  if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) c = 0xFFFD;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string CharsetFromContentType(std::string_view content_type) {
  const std::string lower = AsciiLower(content_type);
  const size_t key = lower.find("charset=");
  if (key == std::string::npos) return "";
  std::string_view value = std::string_view(lower).substr(key + 8);
  value = value.substr(0, value.find(';'));
  return std::string(Trim(value));
}

Decoded DecodeToUtf8(std::string_view bytes, std::string_view http_charset) {
  Decoded out;
  if (const auto [bom, length] = ByteOrderMark(bytes); length > 0) {
    out.source = "byte order mark";
    Decode(bytes.substr(length), bom, out);
    return out;
  }

  const std::string family = Family(bytes);
  std::string declared;
  if (family.empty()) {
    declared = DeclaredEncoding(bytes.substr(0, 256));
  } else {
    // The declaration is readable once the first bytes are decoded in their family.
    Decoded head;
    Decode(bytes.substr(0, 512), family, head);
    declared = DeclaredEncoding(head.text);
  }
  declared = Canonical(declared);
  const std::string http = Canonical(http_charset);

  struct Candidate {
    std::string encoding;
    std::string source;
  };
  std::vector<Candidate> candidates;
  const auto consider = [&](const std::string& encoding, const std::string& source) {
    if (encoding.empty()) return;
    if (!Known(encoding)) {
      out.warning += (out.warning.empty() ? "" : "; ") + source + " names encoding \"" + encoding +
                     "\", which is not known";
      return;
    }
    candidates.push_back({encoding, source});
  };
  if (!family.empty()) {
    // UTF-16, UTF-32 or EBCDIC bytes: only a declaration in the same family is believable.
    const bool same_family = family == "cp037" ? !IsUtf16Or32(declared) && declared != "utf-8"
                                               : declared.starts_with(family.substr(0, 6));
    const std::string encoding =
        same_family && !declared.empty() && declared != "utf-16" && declared != "utf-32" ? declared
                                                                                         : family;
    out.source = same_family && !declared.empty() ? "XML declaration" : "byte pattern of \"<?\"";
    Decode(bytes, Known(encoding) ? encoding : family, out);
    return out;
  }
  consider(http, "HTTP Content-Type");
  // A UTF-16 declaration in bytes that read as ASCII is wrong on its face.
  if (IsUtf16Or32(declared)) {
    out.warning += (out.warning.empty() ? "" : "; ") + std::string("XML declaration says ") +
                   declared + ", but the bytes are 8-bit; ignored";
  } else {
    consider(declared, "XML declaration");
  }
  candidates.push_back({"utf-8", "default"});

  // A UTF-8 claim the bytes disprove yields to the next candidate, or to a guess. A few bad
  // bytes among many good sequences are damage, not a different encoding: they are replaced.
  size_t chosen = 0;
  std::optional<bool> valid_utf8;
  if (candidates[0].encoding == "utf-8") valid_utf8 = IsValidUtf8(bytes);
  if (valid_utf8 == false) {
    const Utf8Census census = CountUtf8(bytes);
    if (census.invalid > census.multibyte) {
      chosen = candidates.size();
      for (size_t i = 1; i < candidates.size(); ++i) {
        if (candidates[i].encoding != "utf-8") {
          chosen = i;
          break;
        }
      }
      if (chosen == candidates.size()) candidates.push_back({GuessSingleByte(bytes), "guess"});
      const std::string claim = candidates[0].source == "default"
                                    ? "no encoding is declared"
                                    : candidates[0].source + " says utf-8";
      out.warning += (out.warning.empty() ? "" : "; ") + std::string("not UTF-8 but ") + claim +
                     "; read as " + candidates[chosen].encoding;
    }
  }
  // The reverse: a single-byte claim over bytes that are valid UTF-8 with multi-byte sequences
  // in them. A site that moved to UTF-8 and kept its old prolog (or its server's default
  // charset) does this; read as the claim, "Café" would become "CafÃ©". Text really in a
  // single-byte encoding is almost never valid UTF-8 once it has bytes above 0x7F: an accented
  // or Cyrillic letter would have to be followed by exactly the right continuation bytes, every
  // time.
  if (IsSingleByte(candidates[chosen].encoding)) {
    if (!valid_utf8) valid_utf8 = IsValidUtf8(bytes);
    if (*valid_utf8 && CountUtf8(bytes).multibyte > 0) {
      out.warning += (out.warning.empty() ? "" : "; ") + candidates[chosen].source + " says " +
                     candidates[chosen].encoding +
                     ", but the bytes are UTF-8 with multi-byte characters; read as utf-8";
      out.source = "valid UTF-8";
      Decode(bytes, "utf-8", out, true);
      return out;
    }
  }
  out.source = candidates[chosen].source;
  Decode(bytes, candidates[chosen].encoding, out, chosen == 0 ? valid_utf8 : std::nullopt);
  return out;
}

}  // namespace feedwatch::feeds
