// LoadConfigText on any text: TOML parsing, every section's validation, and the diagnostics
// with their carets. Secrets files named in the text are looked up relative to a folder that
// does not exist, so nothing outside is read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)feedwatch::config::LoadConfigText(
      std::string_view(reinterpret_cast<const char*>(data), size),
      "/nonexistent-feedwatch-fuzz/feedwatch.toml");
  return 0;
}
