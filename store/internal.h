// What the two store implementations share besides their SQL (store/sql.h): time as stored, the
// tables `store copy` moves, and the outbox's fair order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
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

// For WriteTables: how many rows of state a store holds (it must be none), and the statement
// that writes one row of `table`. `meta` rows replace the target's own (its database id).
inline constexpr std::string_view kCountState =
    "SELECT (SELECT count(*) FROM feeds) + (SELECT count(*) FROM items) + "
    "(SELECT count(*) FROM matches) + (SELECT count(*) FROM deliveries)";
inline Error NotEmpty(const std::string& location) {
  return Error::InvalidInput(location + " holds feedwatch state already; copy into an empty store");
}
// A name as a quoted SQL identifier, the same in both dialects: a source's column names are
// data, not SQL.
inline std::string QuoteIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (const char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + '"';
}
// A copy writes only columns the target has: a column that the source has and the target has
// not (another version's, or added by hand) stops the copy with its name.
inline Status TargetHoldsColumns(const TableRows& source, const TableRows& target,
                                 const std::string& location) {
  for (const std::string& column : source.columns) {
    if (std::find(target.columns.begin(), target.columns.end(), column) == target.columns.end()) {
      return Error::InvalidInput("the source's table " + source.table + " has a column " +
                                 QuoteIdentifier(column) + " that " + location +
                                 " has not; nothing was copied");
    }
  }
  return Status::Ok();
}
inline std::string InsertRowSql(const TableRows& table) {
  std::string sql = "INSERT INTO " + QuoteIdentifier(table.table) + " (";
  std::string values;
  for (size_t c = 0; c < table.columns.size(); ++c) {
    sql += (c > 0 ? ", " : "") + QuoteIdentifier(table.columns[c]);
    values += (c > 0 ? ", ?" : "?") + std::to_string(c + 1);
  }
  sql += ") VALUES (" + values + ")";
  if (table.table == "meta") sql += " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
  return sql;
}

// For DueDeliveries: the deliveries due, taken fairly. `pending` holds the pending deliveries due
// at parameter ?1 that `condition` allows ("AND ..."), each in a unit: its message when it has
// one (a retry goes out whole, as it went before), else itself. `turns` numbers each feed's
// units oldest first; `chosen` takes, up to `units` (an SQL expression), every feed's first unit,
// then every feed's second, and so on: a feed with 50,000 alerts due does not hold back another
// feed's one. Each chosen unit has its number of deliveries, `n`. Rows are then read by joining
// `pending` and `chosen`, in (turn, at, unit) order.
inline std::string FairDueSql(std::string_view condition, std::string_view units) {
  const std::string now = "?1";
  return "WITH pending AS (SELECT d.id, i.feed_id AS feed, "
         "coalesce(d.message_id, 'd' || d.id) AS unit, d.next_attempt_at AS at "
         "FROM deliveries d JOIN matches m ON m.id = d.match_id JOIN items i ON i.id = m.item_id "
         "WHERE d.state = 'pending' AND d.next_attempt_at <= " +
         now + " " + std::string(condition) +
         "), turns AS (SELECT unit, min(at) AS at, count(*) AS n, "
         "row_number() OVER (PARTITION BY feed ORDER BY min(at), unit) AS turn "
         "FROM pending GROUP BY feed, unit), "
         "chosen AS (SELECT unit, min(turn) AS turn, min(at) AS at, sum(n) AS n FROM turns "
         "GROUP BY unit ORDER BY 2, 3, 1 LIMIT " +
         std::string(units) + ") ";
}

// Opens the PostgreSQL store at `url` (pg_store.cc).
// `read_only`: PgStore::Open's.
Result<std::unique_ptr<Store>> OpenPostgres(std::string_view url, std::string_view password,
                                            bool read_only = false);

}  // namespace feedwatch::store
