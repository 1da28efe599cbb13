// `feedwatch store copy`: the state moved between stores.
#pragma once

#include <ostream>
#include <string>

#include "base/result.h"

namespace feedwatch::cli {

// Every feed's state, seen item, match, story and delivery (sent, pending, dead) from the store
// at `from` into the empty one at `to` (postgresql:// URIs or SQLite files), in one transaction;
// the database id goes along, so message ids and Atom ids stay the same. Stop every instance
// first: what they record during the copy is not copied. Writes "copied FROM to TO: N feeds
// ..." on `out`. Errors: Usage when both are the same store; Store::Connect's and
// Store::Copy's (InvalidInput for a target that holds state or a source altered by hand).
Status CopyStore(const std::string& from, const std::string& to, std::ostream& out);

}  // namespace feedwatch::cli
