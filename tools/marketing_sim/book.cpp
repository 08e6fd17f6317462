#include "book.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "halld/records/event_json.hpp"

namespace halld::tools {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace wire = proto::marketing;

// Keyset order: after (changed_at, key).
template <class Entry>
bool after(const Entry& e, const std::string& key, const wire::Watermark& mark) {
  if (!mark.changed_at) return true;
  return std::tie(e.changed_at, key) > std::tie(*mark.changed_at, mark.key);
}

template <class Entry, class Key>
void take(std::vector<Entry> entries, Key key_of, const wire::PageRequest& request,
          std::vector<Entry>& into, wire::Page& page) {
  std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    return std::tie(a.changed_at, key_of(a)) < std::tie(b.changed_at, key_of(b));
  });
  for (const auto& e : entries) {
    if (!after(e, key_of(e), request.after)) continue;
    if (into.size() == static_cast<std::size_t>(request.page_size)) {
      page.more = true;
      break;
    }
    into.push_back(e);
    page.last = wire::Watermark{e.changed_at, key_of(e)};
  }
}

}  // namespace

Book::Book(BookOptions options) : options_(options), random_(options.seed) {}

// The business types of hall_sim's queues, for an archive that leaves them to the catalogue.
static void add_default_business_types(std::vector<wire::BusinessTypeEntry>& types,
                                       records::Timestamp at) {
  for (const auto& [code, name] :
       std::vector<std::pair<std::string, std::string>>{{"bill_payment", "交费"},
                                                        {"consultation", "业务咨询"},
                                                        {"new_conn_resident", "居民新装"},
                                                        {"ownership_transfer", "过户"},
                                                        {"bill_printing", "票据打印"}})
    types.push_back({code, name, "counter", at});
}

void Book::load_archive(const json& document, records::Timestamp at) {
  for (const auto& b : document.value("business_types", json::array()))
    business_types_.push_back({b.at("code"), b.at("name"), b.value("channel", "counter"), at});
  if (business_types_.empty()) add_default_business_types(business_types_, at);
  const auto& halls = document.at("halls");
  for (std::size_t i = 0; i < halls.size(); ++i) {
    const auto& h = halls[i];
    wire::HallEntry hall{h.at("code"),
                         h.at("name"),
                         h.at("city"),
                         h.value("county", ""),
                         h.value("address", ""),
                         h.value("status", "open"),
                         at};
    // The drift of a real marketing system: the fourth hall has moved, the last is no longer
    // listed (closed there without telling anyone).
    if (i == 3) hall.address += "（迁址）";
    if (i + 1 == halls.size() && halls.size() > 8) continue;
    halls_.push_back(hall);
    const auto& clerks = h.value("clerks", json::array());
    for (std::size_t k = 0; k < clerks.size(); ++k) {
      const auto& c = clerks[k];
      std::string status = c.value("status", "active");
      if (i == 1 && k == 0) status = "retired";  // left the company
      clerks_.push_back({c.at("staff_no"), c.at("name"), hall.code, status, at});
    }
    if (i == 0)
      clerks_.push_back({fmt::format("{}-{:02}", hall.code, clerks.size() + 1), "新入职营业员",
                         hall.code, "active", at});
  }
  if (!halls_.empty()) {  // a hall the marketing system opened before halld heard of it
    const auto& first = halls_.front();
    halls_.push_back({first.city_code + "901", "营销系统新增营业厅", first.city_code, first.county,
                      "营销系统登记地址", "open", at});
  }
}

void Book::add_halls(const std::vector<std::string>& sites, const std::string& city_code,
                     int windows, records::Timestamp at) {
  for (const auto& site : sites) {
    halls_.push_back({site, "模拟营业厅" + site, city_code, "", "", "open", at});
    for (int w = 1; w <= windows; ++w)
      clerks_.push_back(
          {fmt::format("{}-{:02}", site, w), fmt::format("营业员{:02}", w), site, "active", at});
  }
  add_default_business_types(business_types_, at);
}

records::Timestamp Book::next_change(records::Timestamp& last, records::Timestamp wanted) {
  last = std::max(wanted, last + 1s);
  return last;
}

std::string Book::city_of(const std::string& site) const {
  for (const auto& h : halls_)
    if (h.code == site) return h.city_code;
  return site.substr(0, 4);
}

std::string Book::customer_for(const std::string& site, const std::string& business,
                               records::Timestamp at) {
  auto& pool = hall_customers_[site];
  if (business != "consultation" && !pool.empty() && unit() < 0.6)
    return pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(random_)];
  wire::CustomerEntry c;
  c.number = fmt::format("{}{:07}", site, next_customer_++);
  const double roll = unit();
  if (business == "consultation" && roll < 0.5) {
    c.category = "unregistered";  // asked about a connection, not a customer yet
    c.name = "咨询客户" + c.number.substr(c.number.size() - 4);
  } else if (roll < 0.72) {
    c.category = "resident", c.contract_kva = 8, c.annual_kwh = 1500 + 3000 * unit();
    c.name = "居民" + c.number.substr(c.number.size() - 4);
  } else if (roll < 0.87) {
    c.category = "small_business", c.contract_kva = 50, c.annual_kwh = 20'000 + 80'000 * unit();
    c.name = "个体商户" + c.number.substr(c.number.size() - 4);
  } else {
    c.category = "enterprise";
    c.dedicated_transformer = unit() < 0.4;
    c.contract_kva = c.dedicated_transformer ? 630 : 100 + 400 * unit();
    c.annual_kwh = c.dedicated_transformer ? 2'500'000 : 100'000 + 1'500'000 * unit();
    c.name = "企业客户" + c.number.substr(c.number.size() - 4);
  }
  c.contract_kva = std::round(c.contract_kva);
  c.annual_kwh = std::round(c.annual_kwh);
  c.changed_at = next_change(last_customer_, at);
  customers_.push_back(c);
  if (c.category != "unregistered") pool.push_back(c.number);
  return c.number;
}

void Book::add_application(wire::ApplicationEntry entry) {
  entry.number = fmt::format("YX{:010}", next_application_++);
  entry.changed_at = next_change(last_application_, entry.finished_at.value_or(entry.accepted_at));
  applications_.push_back(std::move(entry));
}

void Book::observe(const std::string& site, const records::Event& event) {
  if (const auto* started = std::get_if<records::ServiceStarted>(&event.body)) {
    serving_[{site, started->ticket}] = {event.at, started->staff_no};
    return;
  }
  const auto* finished = std::get_if<records::ServiceFinished>(&event.body);
  if (!finished) return;
  auto it = serving_.find({site, finished->ticket});
  if (it == serving_.end()) return;
  const auto service = it->second;
  serving_.erase(it);
  const auto duration = event.at - service.at;
  const bool consultation = finished->business == "consultation";
  if (consultation && unit() >= 0.2) return;  // most questions leave no record
  const int count = unit() < options_.second_application ? 2 : 1;
  const auto city = city_of(site);
  for (int n = 0; n < count; ++n) {
    wire::ApplicationEntry a;
    a.business = n == 0 ? finished->business : "bill_printing";
    a.channel = "counter";
    a.city_code = city;
    a.hall_code = site;
    a.staff_no = finished->staff_no;
    if (unit() < options_.wrong_clerk) {  // keyed in under a colleague's number
      const auto window = std::uniform_int_distribution<int>(1, 6)(random_);
      a.staff_no = fmt::format("{}-{:02}", site, window);
    }
    const auto third = std::max<std::int64_t>(
        10, std::min<std::int64_t>(
                60, std::chrono::duration_cast<std::chrono::seconds>(duration).count() / 3));
    a.accepted_at =
        service.at +
        std::chrono::seconds(std::uniform_int_distribution<std::int64_t>(10, third)(random_)) +
        options_.clock_skew + std::chrono::seconds(n * 20);
    if (unit() < options_.keyed_late) a.accepted_at = event.at + 15min;
    const bool long_process =
        a.business == "new_conn_resident" || a.business == "ownership_transfer";
    if (long_process) {
      a.status = "in_progress";  // built and switched on weeks later
    } else {
      a.status = "finished";
      auto done = event.at + options_.clock_skew -
                  std::chrono::seconds(std::uniform_int_distribution<int>(0, 20)(random_));
      a.finished_at = std::max(done, a.accepted_at + 5s);
    }
    a.customer = customer_for(site, a.business, a.accepted_at);
    truth_[fmt::format("YX{:010}", next_application_)] = {
        {"hall", site}, {"ticket", finished->ticket}, {"started", records::iso8601(service.at)}};
    add_application(a);
    if (n == 0 && unit() < options_.online_per_counter) {  // someone else, at home
      wire::ApplicationEntry online;
      online.business = unit() < 0.7 ? "bill_payment" : "new_conn_resident";
      online.channel = unit() < 0.6 ? "mobile" : "online";
      online.city_code = city;
      online.accepted_at = event.at;
      online.status = online.business == "bill_payment" ? "finished" : "accepted";
      if (online.status == "finished") online.finished_at = event.at;
      online.customer = customer_for(site, online.business, event.at);
      add_application(online);
    }
    if (n == 0 && unit() < 0.15) {  // at a self-service terminal of the hall
      wire::ApplicationEntry self;
      self.business = "bill_payment";
      self.channel = "self_service";
      self.city_code = city;
      self.hall_code = site;
      self.accepted_at = event.at;
      self.finished_at = event.at + 1min;
      self.status = "finished";
      self.customer = customer_for(site, self.business, event.at);
      add_application(self);
    }
  }
}

wire::Page Book::page(const wire::PageRequest& request) const {
  wire::Page page;
  page.entity = request.entity;
  switch (request.entity) {
    case wire::Entity::business_types:
      take(
          business_types_, [](const auto& e) -> const std::string& { return e.code; }, request,
          page.business_types, page);
      break;
    case wire::Entity::halls:
      take(
          halls_, [](const auto& e) -> const std::string& { return e.code; }, request, page.halls,
          page);
      break;
    case wire::Entity::clerks:
      take(
          clerks_, [](const auto& e) -> const std::string& { return e.staff_no; }, request,
          page.clerks, page);
      break;
    case wire::Entity::customers:
      take(
          customers_, [](const auto& e) -> const std::string& { return e.number; }, request,
          page.customers, page);
      break;
    case wire::Entity::applications:
      take(
          applications_, [](const auto& e) -> const std::string& { return e.number; }, request,
          page.applications, page);
      break;
  }
  return page;
}

json Book::truth() const {
  return truth_;
}

}  // namespace halld::tools
