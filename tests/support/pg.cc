#include "tests/support/pg.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>

#include "tests/support/support.h"

namespace feedwatch::testing {
namespace {

std::string PrivateCluster() {
  std::string dir = "/tmp/feedwatch-pg.XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    std::fprintf(stderr, "cannot make a folder for PostgreSQL\n");
    std::abort();
  }
  static std::string stop;
  const std::string script = (SourceDir() / "tests" / "support" / "pg-cluster").string();
  stop = script + " stop " + dir;
  if (std::system((script + " start " + dir).c_str()) != 0) {
    std::fprintf(stderr, "cannot start a PostgreSQL cluster in %s\n", dir.c_str());
    std::abort();
  }
  std::atexit([] { (void)std::system(stop.c_str()); });
  return dir;
}

std::string Url(const std::string& database) {
  return "postgresql://postgres@/" + database + "?host=" + PgHost();
}

}  // namespace

const std::string& PgHost() {
  static const std::string host = [] {
    const char* shared = std::getenv("FEEDWATCH_TEST_PG");
    return shared != nullptr && *shared != '\0' ? std::string(shared) : PrivateCluster();
  }();
  return host;
}

std::string PgQuery(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    ADD_FAILURE() << url << ": " << PQerrorMessage(conn.get());
    return "";
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    ADD_FAILURE() << sql << ": " << PQresultErrorMessage(result.get());
    return "";
  }
  if (PQntuples(result.get()) == 0 || PQnfields(result.get()) == 0) return "";
  return PQgetvalue(result.get(), 0, 0);
}

std::string NewPgDatabase() {
  static std::atomic<int> counter{0};
  const std::string name =
      "t_" + std::to_string(getpid()) + "_" + std::to_string(counter.fetch_add(1));
  PgQuery(Url("postgres"), "CREATE DATABASE " + name);
  return Url(name);
}

}  // namespace feedwatch::testing
