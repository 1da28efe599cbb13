// ParseDate on any text: RFC 822 and its wild variants, ISO 8601, named zones.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feeds/date.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)feedwatch::feeds::ParseDate(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
