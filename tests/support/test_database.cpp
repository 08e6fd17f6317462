#include "test_database.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <pqxx/pqxx>
#include <stdexcept>

namespace halld::testing {

std::string test_server() {
  const char* server = std::getenv("HALLD_TEST_PG");
  if (!server || !*server) {
    throw std::runtime_error(
        "HALLD_TEST_PG is not set; run the tests with scripts/test, which starts a cluster");
  }
  return server;
}

TestDatabase::TestDatabase() {
  static std::atomic<int> counter{0};
  name_ = fmt::format("halld_test_{}_{}", ::getpid(), counter++);
  pqxx::connection admin(test_server() + " dbname=postgres");
  pqxx::nontransaction tx(admin);
  tx.exec("DROP DATABASE IF EXISTS " + name_);
  tx.exec("CREATE DATABASE " + name_);
  conninfo_ = test_server() + " dbname=" + name_;
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(test_server() + " dbname=postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The cluster is thrown away after the run anyway.
  }
}

void TestDatabase::exec(const std::string& sql) const {
  pqxx::connection c(conninfo_);
  pqxx::work tx(c);
  tx.exec(sql);
  tx.commit();
}

std::string TestDatabase::query_value(const std::string& sql) const {
  pqxx::connection c(conninfo_);
  pqxx::read_transaction tx(c);
  auto row = tx.exec1(sql);
  return row[0].is_null() ? std::string("NULL") : row[0].as<std::string>();
}

}  // namespace halld::testing
