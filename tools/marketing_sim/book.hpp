// The marketing system's books, as a simulated SG186-style service keeps them: the archive of
// halls, clerks and business types (from an import file, with the drift a real marketing system
// shows against halld's: a moved hall, a new one, a clerk hired, one retired, a hall dropped),
// customers, and business applications made from the queue tickets of the simulated halls —
// applications keyed in during the service by the clerk who called the ticket (on the marketing
// system's own clock), several for some visits, none for most consultations, now and then
// under a colleague's number or keyed in late; self-service, online and mobile applications
// besides. Pages by (changed_at, key), change times strictly rising per list, so a reader's
// watermark never skips a record. Knows the true ticket of every counter application, to
// measure halld's linking. Pure and deterministic from its seed.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "halld/proto/marketing/soap.hpp"
#include "halld/records/events.hpp"

namespace halld::tools {

namespace marketing_wire = proto::marketing;

struct BookOptions {
  std::uint64_t seed = 1;
  // The marketing system's clock against the queue system's.
  std::chrono::seconds clock_skew{25};
  double second_application = 0.12;  // visits with a second application
  double wrong_clerk = 0.03;         // keyed in under a colleague's number
  double keyed_late = 0.02;          // keyed in a quarter of an hour after the visit
  double online_per_counter = 0.8;   // online and mobile applications per counter one
};

class Book {
 public:
  explicit Book(BookOptions options);

  // The archive from a halld import document (halls with clerks, cities, business types),
  // drifted as a real marketing system is; `at` dates the records.
  void load_archive(const nlohmann::json& document, records::Timestamp at);
  // Without an import document: these halls, each with `windows` clerks named as hall_sim's.
  void add_halls(const std::vector<std::string>& sites, const std::string& city_code, int windows,
                 records::Timestamp at);

  // An event a simulated hall sent; services finished become applications.
  void observe(const std::string& site, const records::Event& event);

  // A page after `after`, at most `page_size` records.
  marketing_wire::Page page(const marketing_wire::PageRequest& request) const;

  // application number → {"hall", "ticket", "started"} for every counter application.
  nlohmann::json truth() const;
  std::size_t applications() const { return applications_.size(); }

 private:
  struct Started {
    records::Timestamp at;
    std::string staff_no;
  };
  records::Timestamp next_change(records::Timestamp& last, records::Timestamp wanted);
  std::string customer_for(const std::string& site, const std::string& business,
                           records::Timestamp at);
  void add_application(marketing_wire::ApplicationEntry entry);
  std::string city_of(const std::string& site) const;
  double unit() { return std::uniform_real_distribution<double>(0, 1)(random_); }

  BookOptions options_;
  std::mt19937_64 random_;
  std::vector<marketing_wire::HallEntry> halls_;
  std::vector<marketing_wire::ClerkEntry> clerks_;
  std::vector<marketing_wire::BusinessTypeEntry> business_types_;
  std::vector<marketing_wire::CustomerEntry> customers_;            // in change order
  std::vector<marketing_wire::ApplicationEntry> applications_;      // in change order
  std::map<std::string, std::vector<std::string>> hall_customers_;  // by hall: their numbers
  std::map<std::pair<std::string, std::string>, Started> serving_;  // (site, ticket)
  records::Timestamp last_customer_{}, last_application_{};
  std::uint64_t next_application_ = 1, next_customer_ = 1;
  nlohmann::json truth_ = nlohmann::json::object();
};

}  // namespace halld::tools
