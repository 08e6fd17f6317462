// A fresh PostgreSQL database for one test, on the throwaway cluster that scripts/test starts
// (its address comes in HALLD_TEST_PG). Dropped again when the object goes.
#pragma once

#include <string>

namespace halld::testing {

class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& conninfo() const { return conninfo_; }
  const std::string& name() const { return name_; }

  // Runs SQL on this database (setup and checks in tests).
  void exec(const std::string& sql) const;
  std::string query_value(const std::string& sql) const;

 private:
  std::string name_;
  std::string conninfo_;
};

// The server address from HALLD_TEST_PG, or a failure explaining how to run the tests.
std::string test_server();

}  // namespace halld::testing
