#include "feeds/internal/json_shape.h"

#include <algorithm>
#include <vector>

namespace feedwatch::feeds::internal {

JsonShape ShapeOf(std::string_view text, std::string_view exempt) {
  JsonShape shape;
  struct Open {
    size_t children = 0;  // objects and arrays directly in it
    size_t commas = 0;    // its members, less one
    size_t steps = 0;     // the callback's, for the children ended so far
    bool exempt = false;
  };
  std::vector<Open> open;
  std::string_view last_string;  // the last string read: a key when a ':' follows
  bool exempt_next = false;      // the value being read is the root's member `exempt`
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      const size_t start = i + 1;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;  // the escaped character, whatever it is
      }
      last_string = text.substr(start, std::min(i, text.size()) - start);
      continue;
    }
    if (c == ':') {
      exempt_next = open.size() == 1 && !exempt.empty() && last_string == exempt;
      continue;
    }
    if (c == '{' || c == '[') {
      if (!open.empty()) {
        Open& parent = open.back();
        ++parent.children;
        // When this child ends, the parent's members so far are looked through (the exempt
        // member keeps none: its reader takes each out).
        if (!parent.exempt) {
          shape.width = std::max(shape.width, parent.children);
          parent.steps += parent.commas + 1;
          shape.steps = std::max(shape.steps, parent.steps);
        }
      }
      open.push_back({.exempt = exempt_next});
      exempt_next = false;
      shape.depth = std::max(shape.depth, open.size());
      continue;
    }
    if ((c == '}' || c == ']') && !open.empty()) open.pop_back();
    if (c == ',') {
      exempt_next = false;
      if (!open.empty()) ++open.back().commas;
    }
  }
  return shape;
}

}  // namespace feedwatch::feeds::internal
