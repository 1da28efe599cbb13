// Query::Parse on any text; a query that parses is also evaluated and explained on a document
// made of the same bytes, so that the evaluator and the snippet maker see what the parser
// accepted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "filters/document.h"
#include "filters/query.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const bool fold_accents : {false, true}) {
    const feedwatch::Result<feedwatch::filters::Query> query =
        feedwatch::filters::Query::Parse(text, {.fold_accents = fold_accents});
    if (!query.ok()) continue;
    const feedwatch::filters::Document document(
        {.title = text,
         .summary = "Darchiev said the Moscow round went well",
         .link = text,
         .content_label = {}},
        fold_accents);
    (void)query->Matches(document);
    (void)query->Explain(document);
  }
  return 0;
}
