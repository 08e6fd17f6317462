// live/stream_texts: what the live views are sent to browsers as, made once per publication
// however many clients watch: the overview texts (per city or hall asked for) and the stream
// messages with only what changed since a hall's previous publication (the delta cache). Owns:
// those texts and the base each hall's next change is taken against. Thread-safe. Must not
// touch: HTTP, WebSockets (the API sends what this makes).
#pragma once

#include <fmt/format.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "halld/live/view_json.hpp"

namespace halld::live {

// The overview texts, made at most once per publication for each city (or hall) asked for:
// every dashboard that opens asks for one, and the province's costs a pass over every hall.
class OverviewTexts {
 public:
  explicit OverviewTexts(const Engine& engine) : engine_(engine) {}
  std::shared_ptr<const std::string> text(const std::string& city, const std::string& hall) {
    const auto publications = engine_.publications();
    const auto key = city + '/' + hall;
    {
      std::lock_guard lock(mutex_);
      if (publications != publications_) {
        publications_ = publications;
        texts_.clear();
      }
      if (auto it = texts_.find(key); it != texts_.end()) return it->second;
    }
    // Made outside the lock; two requests of one period may both make it, and both are right.
    auto text = std::make_shared<const std::string>(overview_json(engine_, city, hall).dump());
    std::lock_guard lock(mutex_);
    if (publications == publications_) texts_.emplace(key, text);
    return text;
  }

 private:
  const Engine& engine_;
  std::mutex mutex_;
  std::uint64_t publications_ = 0;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> texts_;  // by "city/hall"
};

// The messages a publication is streamed as, made once per batch however many clients watch
// it: one of the province's changed halls, one per city, one per hall (the engine tells its
// subscribers one after another, on its strand). A client gets at most one message per batch.
// A hall's entry in a summaries message is `hall` and the summary fields that changed since
// the hall's previous publication (all of them the first time); clients apply it over what
// they hold. A hall whose summary did not change is left out.
class StreamTexts {
 public:
  using Text = std::shared_ptr<const std::string>;
  // Every publication must pass through here, watched or not, or a later entry would be taken
  // against a stale base: the engine holds the texts for as long as it publishes.
  static std::shared_ptr<StreamTexts> following(Engine& engine) {
    auto texts = std::make_shared<StreamTexts>();
    engine.subscribe([texts](const PublishedViews& batch) {
      std::lock_guard lock(texts->mutex_);
      texts->renew(batch);
    });
    return texts;
  }
  // The changed summaries of the batch's halls in `city` (all halls when empty); null when none.
  Text summaries(const PublishedViews& batch, const std::string& city) {
    std::lock_guard lock(mutex_);
    renew(batch);
    auto [it, fresh] = summaries_.try_emplace(city);
    if (fresh) {
      std::string halls;
      for (std::size_t i = 0; i < batch->size(); ++i) {
        if ((!city.empty() && (*batch)[i]->city_code != city) || changes_[i].empty()) continue;
        if (!halls.empty()) halls += ',';
        halls += changes_[i];
      }
      if (!halls.empty()) {
        it->second = std::make_shared<const std::string>(fmt::format(
            R"({{"type":"summaries","published_ms":{},"halls":[{}]}})", published_ms_, halls));
      }
    }
    return it->second;
  }
  // The whole view of `hall` if the batch has it; null otherwise.
  Text hall(const PublishedViews& batch, const std::string& hall) {
    std::lock_guard lock(mutex_);
    renew(batch);
    if (positions_.empty()) {
      for (std::size_t i = 0; i < batch->size(); ++i) positions_.emplace((*batch)[i]->code, i);
    }
    auto position = positions_.find(hall);
    if (position == positions_.end()) return nullptr;
    auto [it, fresh] = halls_.try_emplace(hall);
    if (fresh) {
      it->second = std::make_shared<const std::string>(ordered_json{
          {"type", "hall"},
          {"published_ms", published_ms_},
          {"hall", live_json(*(*batch)[position->second])}}.dump());
    }
    return it->second;
  }

 private:
  void renew(const PublishedViews& batch) {
    if (batch == batch_) return;
    batch_ = batch;
    // When the engine published it (to the millisecond): how late each client got it.
    published_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    changes_.clear();
    for (const auto& view : *batch) changes_.push_back(changes_text(*view));
    summaries_.clear();
    positions_.clear();
    halls_.clear();
  }
  // The hall's entry for this publication, or empty when its summary is what it was.
  std::string changes_text(const HallView& view) {
    auto summary = summary_json(view);
    auto& last = last_summaries_[view.code];
    ordered_json changes{{"hall", view.code}};
    for (const auto& field : summary.items()) {
      if (!last.contains(field.key()) || last[field.key()] != field.value())
        changes[field.key()] = field.value();
    }
    last = std::move(summary);
    return changes.size() > 1 ? changes.dump() : std::string();
  }
  std::mutex mutex_;
  PublishedViews batch_;
  std::int64_t published_ms_ = 0;
  std::vector<std::string> changes_;  // by index in the batch
  std::unordered_map<std::string, ordered_json>
      last_summaries_;                               // by hall code: the base of the next entry
  std::unordered_map<std::string, Text> summaries_;  // by city ("" for the province)
  std::unordered_map<std::string_view, std::size_t> positions_;  // hall code → index in the batch
  std::unordered_map<std::string, Text> halls_;                  // by hall code, made on first use
};

}  // namespace halld::live
