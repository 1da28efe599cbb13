// Internal to feeds/: how deep and how wide a JSON text is, read before nlohmann-json builds it.
//
// nlohmann-json 3.11's parser with a callback looks through the whole parent container each
// time an object or array inside it ends (json_sax_dom_callback_parser::end_object), so a
// container of n objects costs n^2 / 2 steps: 660,000 `{}` in one array took two minutes. A
// reader that parses with a callback checks the width first; one that needs no callback parses
// without one, which is linear, and checks the depth it is willing to walk.
#pragma once

#include <cstddef>
#include <string_view>

namespace feedwatch::feeds::internal {

struct JsonShape {
  size_t depth = 0;  // the most containers open at once
  // The most objects and arrays directly in one container, the root's member named
  // `exempt` aside (its children are what a reader takes out as it goes).
  size_t width = 0;
  // The most steps the callback's look through one container costs: for each object or array
  // in it, the members before it (numbers and strings too: a few objects after millions of
  // numbers cost as much as millions of objects). `exempt` aside.
  size_t steps = 0;
};

// The shape of `text`, read as JSON whether or not it is valid: strings (with their escapes)
// are skipped, brackets counted. Linear in the text; memory in its depth.
JsonShape ShapeOf(std::string_view text, std::string_view exempt = {});

}  // namespace feedwatch::feeds::internal
