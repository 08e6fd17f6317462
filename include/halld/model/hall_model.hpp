// model/hall_model: the live state of one hall — who waits for what and since when, what each
// window and clerk is doing, each self-service terminal's state and faults, the comm state of
// the hall's channels — and the facts its events establish (a wait became known when a ticket
// was called, a service ended after so long, a window served from 09:00 to 09:12 …), which
// the KPI engine counts. Owns: applying events in order, pairing a call with its ticket, the
// snapshot, the model's bytes for the engine's snapshots. Pure and single-threaded: whoever owns a
// HallModel is its one writer. Must not touch: I/O, clocks (time comes from the events and the
// caller), KPI arithmetic.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "halld/core/bytes.hpp"
#include "halld/model/calendar.hpp"
#include "halld/records/events.hpp"

namespace halld::model {

enum class FactKind : std::uint8_t {
  arrival,      // a ticket was issued
  call,         // a waiting ticket was called to a window: seconds = its wait
  abandonment,  // a waiting ticket left the queue: seconds = how long it had waited
  no_show,  // a called ticket missed its call (an abandonment after its call): seconds = its wait
            // to the call
  service,  // a service ended: seconds = its handling time
  evaluation,     // the customer evaluated the service
  window_time,    // a window was serving, idle (open, nobody served) or paused over [at, until)
  terminal_time,  // a terminal was available or not over [at, until)
  transaction,    // a self-service transaction ended
  part_fault,     // a terminal component went from ok to a fault state
};
enum class WindowActivity : std::uint8_t { serving, idle, paused };

// One fact, in terms of the event that established it. The string views point into the model
// or the event and are valid during the FactSink call only.
struct Fact {
  FactKind kind = FactKind::arrival;
  Timestamp at{};
  Timestamp until{};  // window_time and terminal_time only
  std::string_view business;
  std::uint16_t window = 0;
  std::string_view clerk;
  std::string_view terminal;
  records::CustomerClassCode customer_class = records::CustomerClassCode::unknown;
  std::int64_t seconds = 0;
  records::EvaluationResult evaluation = records::EvaluationResult::not_evaluated;
  WindowActivity activity = WindowActivity::idle;
  bool available = false;
  records::TransactionResult transaction_result = records::TransactionResult::success;
  records::PaymentMethod method = records::PaymentMethod::none;
  std::int64_t amount_fen = 0;
  records::TerminalPart part = records::TerminalPart::network;
};

class FactSink {
 public:
  virtual void on_fact(const Fact& fact) = 0;

 protected:
  ~FactSink() = default;
};

struct WaitingTicket {
  std::string ticket;
  std::string business;
  records::CustomerClassCode customer_class = records::CustomerClassCode::unknown;
  Timestamp since{};  // issued, or transferred to this business
  bool operator==(const WaitingTicket&) const = default;
};

struct WindowLive {
  std::uint16_t number = 0;
  records::WindowState state = records::WindowState::closed;
  std::string clerk;
  std::string ticket;    // in service; empty: none
  std::string business;  // of the ticket in service
  Timestamp service_started{};
  Timestamp state_since{};    // open, paused or closed since
  Timestamp counted_until{};  // its activity before this is already reported as facts
  std::uint32_t served_today = 0;
  bool operator==(const WindowLive&) const = default;
};

struct TerminalLive {
  std::string id;
  std::optional<records::TerminalState> state;  // nullopt: not reported yet
  Timestamp state_since{};
  Timestamp counted_until{};  // its availability before this is already reported as facts
  std::map<records::TerminalPart, records::PartState> faults;  // parts not ok
  bool door_open = false;
  std::optional<Timestamp> last_transaction;
  std::uint32_t transactions_today = 0;
  bool operator==(const TerminalLive&) const = default;
};

struct ChannelLive {
  std::string code;
  bool up = false;
  Timestamp since{};
  // The last event found outside the clock bounds: when it arrived, and how far off it was.
  std::optional<Timestamp> skewed_at;
  std::int64_t clock_skew_s = 0;
  bool operator==(const ChannelLive&) const = default;
};

struct HallSnapshot {
  int hall_id = 0;
  std::uint64_t version = 0;  // rises with every change
  std::optional<Timestamp> last_event;
  std::vector<WaitingTicket> waiting;   // in ticket order (oldest first)
  std::vector<WindowLive> windows;      // by number
  std::vector<TerminalLive> terminals;  // by id
  std::vector<ChannelLive> channels;    // by code
  // The queue as the hall's own queue system last reported it (its periodic snapshot).
  std::vector<records::QueueLength> reported_queues;
  std::optional<Timestamp> reported_at;
  std::uint64_t unpaired_events = 0;  // calls, services, evaluations of tickets never seen issued
  bool operator==(const HallSnapshot&) const = default;
};

class HallModel {
 public:
  explicit HallModel(int hall_id) : hall_id_(hall_id) {}

  void apply(const records::Event& event, FactSink& sink);
  // Reports the time-weighted states (window activity, terminal availability) up to `until`
  // and starts them afresh there, so that the time so far is counted before the next change.
  void cut_intervals(Timestamp until, FactSink& sink);
  // A new local day from `day_start`: today's counts restart (and count events of today only),
  // and tickets issued before `forget_before` (the start of the day before: numbers restart
  // daily, yet a queue may be served past midnight) are forgotten, waiting or not.
  void start_day(Timestamp day_start, Timestamp forget_before);
  // Brings a new model to where one running all along would stand at `from`, counting nothing:
  // `context` (earlier events in order, e.g. the last states known and the day before's events)
  // is applied, the day starts, and time-weighted states are counted from `from` on.
  void catch_up(std::span<const records::Event> context, Timestamp day_start,
                Timestamp forget_before, Timestamp from);
  void set_channel(const std::string& code, bool up, Timestamp at);
  void remove_channel(const std::string& code);  // the channel was retired or moved away
  // The channels as `other` (the same hall's model before a reload from the log) knows them:
  // their links and clocks are not in the log, so a model rebuilt from it would forget them.
  void take_channels(const HallModel& other);
  // An event of the channel arrived at `at` dated `skew` off halld's clock, beyond the bounds.
  void note_clock_skew(const std::string& code, std::chrono::seconds skew, Timestamp at);

  HallSnapshot snapshot() const;
  // The model as bytes (core/bytes) and back, for the live model's snapshots: everything its
  // events made, not the channels (their links are not in the log, and a process starting anew
  // learns them from its own links). load gives nullopt for bytes that are not one model whole.
  void save(ByteWriter& out) const;
  static std::optional<HallModel> load(int hall_id, ByteReader& in);
  std::uint64_t version() const { return version_; }
  int hall_id() const { return hall_id_; }
  const std::vector<WaitingTicket>& waiting() const { return waiting_; }
  const std::map<std::uint16_t, WindowLive>& windows() const { return windows_; }

 private:
  struct TicketInfo {
    std::string business;
    records::CustomerClassCode customer_class = records::CustomerClassCode::unknown;
    Timestamp issued{};
    std::optional<Timestamp> called;
    std::int64_t waited_s = 0;  // to its call
    bool done = false;          // served, abandoned or replaced
  };
  void issue(const records::Event& e, const records::TicketIssued& t, FactSink& sink);
  void call(Timestamp at, const std::string& ticket, std::uint16_t window, const std::string& clerk,
            FactSink& sink);
  void start_service(Timestamp at, const records::ServiceStarted& s, FactSink& sink);
  void finish_service(Timestamp at, const records::ServiceFinished& s, FactSink& sink);
  void abandon(Timestamp at, const records::TicketAbandoned& a, FactSink& sink);
  // Whatever the reason given, a ticket called and never served missed its call.
  void missed_call(Timestamp at, const std::string& ticket, TicketInfo& info, FactSink& sink);
  void evaluate(Timestamp at, const records::EvaluationGiven& e, FactSink& sink);
  void transfer(Timestamp at, const records::TicketTransferred& t);
  void window_status(Timestamp at, const records::WindowStatusChanged& w, FactSink& sink);
  void terminal_state(Timestamp at, const records::TerminalStateChanged& t, FactSink& sink);
  void part_state(Timestamp at, const records::PartStateChanged& p, FactSink& sink);
  void transaction(Timestamp at, const records::Transaction& t, FactSink& sink);
  bool remove_waiting(const std::string& ticket);
  WindowLive& window(std::uint16_t number);
  TerminalLive& terminal(const std::string& id);
  // The window's activity so far as a fact; its clock restarts at `at`.
  void close_window_interval(WindowLive& w, Timestamp at, FactSink& sink);
  void close_terminal_interval(TerminalLive& t, Timestamp at, FactSink& sink);

  int hall_id_;
  std::uint64_t version_ = 0;
  std::optional<Timestamp> last_event_;
  Timestamp day_start_{};
  std::unordered_map<std::string, TicketInfo> tickets_;
  std::vector<WaitingTicket> waiting_;
  std::map<std::uint16_t, WindowLive> windows_;
  std::map<std::string, TerminalLive, std::less<>> terminals_;
  std::map<std::string, ChannelLive> channels_;
  std::vector<records::QueueLength> reported_queues_;
  std::optional<Timestamp> reported_at_;
  std::uint64_t unpaired_ = 0;
};

}  // namespace halld::model
