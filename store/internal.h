// What the two store implementations share: time as stored, and the tables `store copy` moves.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "base/clock.h"
#include "store/store.h"

namespace feedwatch::store {

// Times are stored as Unix seconds.
inline std::int64_t ToUnix(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromUnix(std::int64_t s) { return TimePoint(Seconds(s)); }

inline bool IsCopiedTable(std::string_view table) {
  return std::find(Store::kTables.begin(), Store::kTables.end(), table) != Store::kTables.end();
}

// Leases belong to the instances of one store: not copied.
inline bool IsLeaseColumn(std::string_view column) {
  return column == "lease_owner" || column == "lease_until";
}

// Opens the PostgreSQL store at `url` (pg_store.cc).
Result<std::unique_ptr<Store>> OpenPostgres(std::string_view url, std::string_view password);

}  // namespace feedwatch::store
