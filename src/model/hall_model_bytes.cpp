// The model's bytes (HallModel::save / load). The layout is the field order below; the engine's
// snapshot format version (live/snapshot) changes whenever it does.
#include "halld/model/hall_model.hpp"

namespace halld::model {

using namespace halld::records;

namespace {

void put_time(ByteWriter& out, Timestamp t) {
  out.signed_(t.time_since_epoch().count());
}
Timestamp get_time(ByteReader& in) {
  return Timestamp(std::chrono::seconds(in.epoch_seconds()));
}
void put_time(ByteWriter& out, const std::optional<Timestamp>& t) {
  out.unsigned_(t ? 1 : 0);
  if (t) put_time(out, *t);
}
std::optional<Timestamp> get_optional_time(ByteReader& in) {
  const auto present = in.unsigned_();
  if (present > 1) in.fail();
  if (present != 1) return std::nullopt;
  return get_time(in);
}
bool get_flag(ByteReader& in) {
  const auto v = in.unsigned_();
  if (v > 1) in.fail();
  return v == 1;
}

}  // namespace

void HallModel::save(ByteWriter& out) const {
  out.unsigned_(version_);
  put_time(out, last_event_);
  put_time(out, day_start_);
  out.unsigned_(unpaired_);
  out.unsigned_(tickets_.size());
  for (const auto& [ticket, info] : tickets_) {
    out.text(ticket);
    out.text(info.business);
    out.code(info.customer_class);
    put_time(out, info.issued);
    put_time(out, info.called);
    out.signed_(info.waited_s);
    out.unsigned_(info.done ? 1 : 0);
  }
  out.unsigned_(waiting_.size());
  for (const auto& w : waiting_) {
    out.text(w.ticket);
    out.text(w.business);
    out.code(w.customer_class);
    put_time(out, w.since);
  }
  out.unsigned_(windows_.size());
  for (const auto& [number, w] : windows_) {
    out.unsigned_(number);
    out.code(w.state);
    out.text(w.clerk);
    out.text(w.ticket);
    out.text(w.business);
    put_time(out, w.service_started);
    put_time(out, w.state_since);
    put_time(out, w.counted_until);
    out.unsigned_(w.served_today);
  }
  out.unsigned_(terminals_.size());
  for (const auto& [id, t] : terminals_) {
    out.text(id);
    out.unsigned_(t.state ? static_cast<std::uint64_t>(*t.state) : 0);
    put_time(out, t.state_since);
    put_time(out, t.counted_until);
    out.unsigned_(t.faults.size());
    for (const auto& [part, state] : t.faults) {
      out.code(part);
      out.code(state);
    }
    out.unsigned_(t.door_open ? 1 : 0);
    put_time(out, t.last_transaction);
    out.unsigned_(t.transactions_today);
  }
  out.unsigned_(reported_queues_.size());
  for (const auto& q : reported_queues_) {
    out.text(q.business);
    out.unsigned_(q.waiting);
    out.unsigned_(q.longest_wait_s);
  }
  put_time(out, reported_at_);
}

std::optional<HallModel> HallModel::load(int hall_id, ByteReader& in) {
  HallModel m(hall_id);
  m.version_ = in.unsigned_();
  m.last_event_ = get_optional_time(in);
  m.day_start_ = get_time(in);
  m.unpaired_ = in.unsigned_();
  for (auto n = in.count(7); n > 0 && !in.failed(); --n) {
    auto ticket = in.text();
    TicketInfo info;
    info.business = in.text();
    info.customer_class = in.code(CustomerClassCode::unknown, CustomerClassCode::potential);
    info.issued = get_time(in);
    info.called = get_optional_time(in);
    info.waited_s = in.quantity();
    info.done = get_flag(in);
    m.tickets_.insert_or_assign(std::move(ticket), std::move(info));
  }
  for (auto n = in.count(4); n > 0 && !in.failed(); --n) {
    WaitingTicket w;
    w.ticket = in.text();
    w.business = in.text();
    w.customer_class = in.code(CustomerClassCode::unknown, CustomerClassCode::potential);
    w.since = get_time(in);
    m.waiting_.push_back(std::move(w));
  }
  for (auto n = in.count(9); n > 0 && !in.failed(); --n) {
    const auto number = in.unsigned_();
    if (number > UINT16_MAX) in.fail();
    WindowLive w;
    w.number = static_cast<std::uint16_t>(number);
    w.state = in.code(WindowState::open, WindowState::closed);
    w.clerk = in.text();
    w.ticket = in.text();
    w.business = in.text();
    w.service_started = get_time(in);
    w.state_since = get_time(in);
    w.counted_until = get_time(in);
    w.served_today = static_cast<std::uint32_t>(in.unsigned_());
    m.windows_.insert_or_assign(w.number, std::move(w));
  }
  for (auto n = in.count(8); n > 0 && !in.failed(); --n) {
    TerminalLive t;
    t.id = in.text();
    const auto state = in.unsigned_();
    if (state > static_cast<std::uint64_t>(TerminalState::offline)) in.fail();
    if (state != 0) t.state = static_cast<TerminalState>(state);
    t.state_since = get_time(in);
    t.counted_until = get_time(in);
    for (auto faults = in.count(2); faults > 0 && !in.failed(); --faults) {
      const auto part = in.code(TerminalPart::card_reader, TerminalPart::network);
      t.faults[part] = in.code(PartState::ok, PartState::fault);
    }
    t.door_open = get_flag(in);
    t.last_transaction = get_optional_time(in);
    t.transactions_today = static_cast<std::uint32_t>(in.unsigned_());
    auto id = t.id;
    m.terminals_.insert_or_assign(std::move(id), std::move(t));
  }
  for (auto n = in.count(3); n > 0 && !in.failed(); --n) {
    QueueLength q;
    q.business = in.text();
    const auto waiting = in.unsigned_();
    const auto longest = in.unsigned_();
    if (waiting > UINT16_MAX || longest > UINT32_MAX) in.fail();
    q.waiting = static_cast<std::uint16_t>(waiting);
    q.longest_wait_s = static_cast<std::uint32_t>(longest);
    m.reported_queues_.push_back(std::move(q));
  }
  m.reported_at_ = get_optional_time(in);
  if (in.failed()) return std::nullopt;
  return m;
}

}  // namespace halld::model
