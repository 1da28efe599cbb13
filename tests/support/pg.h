// A throwaway PostgreSQL cluster for the tests (tests/support/pg-cluster). ctest starts one for
// the suites that need it and names its folder in $FEEDWATCH_TEST_PG; a test binary run by hand
// starts its own, stopped when the process exits. Missing PostgreSQL fails the test: nothing
// is skipped.
#pragma once

#include <string>

namespace feedwatch::testing {

// The folder of the cluster's Unix socket.
const std::string& PgHost();

// The libpq URI of a new, empty database on the cluster.
std::string NewPgDatabase();

// Runs `sql` on the database at `url`; returns the first column of the first row ("" if none).
std::string PgQuery(const std::string& url, const std::string& sql);

}  // namespace feedwatch::testing
