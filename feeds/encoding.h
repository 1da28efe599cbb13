// Turning a feed's bytes into UTF-8 text before any parser sees them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace feedwatch::feeds {

struct Decoded {
  std::string text;      // UTF-8, without a byte order mark
  std::string encoding;  // what the bytes were read as, lower case: "utf-8", "windows-1251"
  std::string source;    // why: "byte order mark", "HTTP Content-Type", "XML declaration", ...
  size_t replaced = 0;   // invalid byte sequences, each replaced with U+FFFD
  std::string warning;   // empty, or why the declared encodings were not used as declared
};

// Decodes `bytes` to UTF-8. Precedence, highest first:
//   1. a byte order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
//   2. the charset of the HTTP Content-Type (`http_charset`; empty when unknown);
//   3. the encoding in the XML declaration (read in ASCII, UTF-16 or EBCDIC as the first bytes
//      show);
//   4. UTF-8.
// Three corrections, because servers and prologs label carelessly: a UTF-8 claim (or none) that
// the bytes disprove gives way to the other declaration when there is one, or else to a guess
// (windows-1252 for Western text, windows-1251 or koi8-r for runs of Cyrillic); a single-byte
// claim (windows-125x, iso-8859-x, koi8-x, ...) over bytes that are valid UTF-8 with multi-byte
// sequences gives way to UTF-8, with a warning; and iso-8859-1 / us-ascii are read as
// windows-1252, their superset (as browsers do), so curly quotes from Windows editors survive. An
// encoding iconv does not know is reported and skipped. Invalid sequences are replaced, counted and
// never fatal.
Decoded DecodeToUtf8(std::string_view bytes, std::string_view http_charset);

// The charset parameter of a Content-Type header value, lower case; empty when absent.
std::string CharsetFromContentType(std::string_view content_type);

// Whether `bytes` is UTF-8 by RFC 3629's rules: no overlong forms, surrogates or values past
// U+10FFFF.
bool IsValidUtf8(std::string_view bytes);

// Appends `code_point` to `out` as UTF-8 (U+FFFD for surrogates and values past U+10FFFF).
void AppendUtf8(char32_t code_point, std::string& out);

}  // namespace feedwatch::feeds
