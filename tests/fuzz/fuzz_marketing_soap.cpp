// The marketing system's answers: any bytes, under any declared charset, give a page or a clear
// error, never a crash; what a page holds is always storable text, and its watermark never runs
// backwards. The service side's request reader gets the same bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "halld/core/text.hpp"
#include "halld/proto/marketing/soap.hpp"

namespace wire = halld::proto::marketing;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte picks the operation and the charset header.
  const auto entity = wire::all_entities[data[0] % 5];
  const std::string_view content_type =
      (data[0] & 0x10) ? "text/xml; charset=GBK" : "text/xml; charset=utf-8";
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto answer = wire::parse_answer(body, content_type, entity, 50);
  if (auto* page = std::get_if<wire::Page>(&answer)) {
    if (page->size() > 50) __builtin_trap();
    for (const auto& a : page->applications)
      if (!halld::is_display_text(a.number) || (a.finished_at && *a.finished_at < a.accepted_at))
        __builtin_trap();
    for (const auto& h : page->halls)
      if (!halld::is_display_text(h.name) || !halld::is_display_text(h.address)) __builtin_trap();
    for (const auto& r : page->rejected)
      if (!halld::is_storable_text(r.key) || !halld::is_storable_text(r.reason)) __builtin_trap();
  } else if (!halld::is_storable_text(std::get<wire::AnswerError>(answer).message)) {
    __builtin_trap();
  }
  try {
    (void)wire::read_request(body);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
