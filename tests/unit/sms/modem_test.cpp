// halld's side of the AT conversation against the simulated modem (tools/modem_sim), in memory:
// readiness, SIM PIN, registration, a long Chinese message in concatenated parts checked and
// reassembled by the modem, +CMS errors, silence.
#include "halld/sms/modem.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>

#include "modem.hpp"

namespace halld::sms {
namespace {

using ::testing::HasSubstr;

// Passes bytes both ways until neither side has anything to say; the outcomes on halld's side.
std::vector<ModemOutcome> converse(ModemSession& session, tools::SimulatedModem& modem,
                                   std::string to_modem) {
  std::vector<ModemOutcome> outcomes;
  while (!to_modem.empty()) {
    const auto answer = modem.feed(std::exchange(to_modem, {}));
    for (auto& o : session.feed(answer, to_modem)) outcomes.push_back(std::move(o));
  }
  return outcomes;
}

template <class T>
std::vector<T> only(const std::vector<ModemOutcome>& outcomes) {
  std::vector<T> found;
  for (const auto& o : outcomes) {
    if (const auto* t = std::get_if<T>(&o)) found.push_back(*t);
  }
  return found;
}

std::vector<EncodedPdu> pdus(std::string_view text, std::uint8_t reference = 7) {
  return std::get<std::vector<EncodedPdu>>(
      encode_submit("+8613800138000", text, {.concat_reference = reference}));
}

TEST(Modem, GetsReadyThenSendsALongChineseMessageInPartsTheModemReassembles) {
  tools::SimulatedModem modem({});
  ModemSession session;
  ASSERT_EQ(only<ModemReady>(converse(session, modem, session.start())).size(), 1u);
  ASSERT_TRUE(session.ready());

  std::string text;
  for (int i = 0; i < 10; ++i) text += "【严重告警】郑州营业厅排队人数 35 人，超过限值 30 人。";
  std::string to_modem;
  ASSERT_TRUE(session.send(pdus(text), to_modem));
  EXPECT_FALSE(session.send(pdus("再来一条"), to_modem)) << "one message at a time";
  const auto outcomes = converse(session, modem, to_modem);
  const auto parts = only<PartSent>(outcomes);
  const auto sent = only<MessageSent>(outcomes);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(parts.size(), pdus(text).size());
  EXPECT_GT(parts.size(), 1u);
  std::vector<int> references(parts.size());
  std::iota(references.begin(), references.end(), 1);  // the modem numbers its submissions 1, 2, …
  EXPECT_EQ(sent[0].message_references, references);
  ASSERT_EQ(modem.messages().size(), 1u);
  EXPECT_EQ(modem.messages()[0].text, text);
  EXPECT_EQ(modem.messages()[0].destination, "+8613800138000");
  EXPECT_EQ(modem.messages()[0].parts, parts.size());
  EXPECT_TRUE(modem.refused().empty());
  EXPECT_TRUE(session.ready());
}

TEST(Modem, EntersTheSimPinOrSaysWhyItCannot) {
  tools::SimulatedModem with_pin({.pin = "1234"});
  ModemSession knows("1234");
  EXPECT_EQ(only<ModemReady>(converse(knows, with_pin, knows.start())).size(), 1u);

  tools::SimulatedModem locked({.pin = "1234"});
  ModemSession forgot;
  auto outcomes = only<ModemNotReady>(converse(forgot, locked, forgot.start()));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].reason, "SIM PIN required and none configured");

  tools::SimulatedModem locked_again({.pin = "1234"});
  ModemSession wrong("0000");
  outcomes = only<ModemNotReady>(converse(wrong, locked_again, wrong.start()));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_THAT(outcomes[0].reason, HasSubstr("+CME ERROR: 16"));
  EXPECT_FALSE(wrong.ready());
}

TEST(Modem, ANetworkNotFoundIsNamed) {
  tools::SimulatedModem searching({.pin = "", .registration = 2});
  ModemSession session;
  const auto outcomes = only<ModemNotReady>(converse(session, searching, session.start()));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].reason, "not registered on the network (+CREG: 0,2)");
  tools::SimulatedModem roaming({.pin = "", .registration = 5});
  ModemSession abroad;
  EXPECT_EQ(only<ModemReady>(converse(abroad, roaming, abroad.start())).size(), 1u);
}

TEST(Modem, RefusalsAndSilenceFailTheMessageWithTheirReason) {
  tools::SimulatedModem full(
      {.pin = "", .registration = 1, .fail_with_cms_error = 322});  // memory full
  ModemSession session;
  converse(session, full, session.start());
  std::string to_modem;
  ASSERT_TRUE(session.send(pdus("停电通知"), to_modem));
  auto failed = only<MessageFailed>(converse(session, full, to_modem));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].cms_error, 322);
  EXPECT_THAT(failed[0].reason, HasSubstr("+CMS ERROR: 322"));
  EXPECT_TRUE(session.ready()) << "the modem answered: it can take the next message";

  // A PDU whose announced length is wrong is refused by the modem, which says why.
  tools::SimulatedModem strict({});
  ModemSession careful;
  converse(careful, strict, careful.start());
  auto wrong_length = pdus("你好");
  wrong_length[0].tpdu_octets += 1;
  to_modem.clear();
  ASSERT_TRUE(careful.send(wrong_length, to_modem));
  failed = only<MessageFailed>(converse(careful, strict, to_modem));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].cms_error, 304);
  ASSERT_EQ(strict.refused().size(), 1u);
  EXPECT_THAT(strict.refused()[0], HasSubstr("AT+CMGS=20 but the PDU has 19 octets"));

  // No answer: the message fails and the session must start again.
  to_modem.clear();
  ASSERT_TRUE(careful.send(pdus("你好"), to_modem));
  failed = only<MessageFailed>(careful.timed_out());
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_THAT(failed[0].reason, HasSubstr("no answer"));
  EXPECT_FALSE(careful.ready());
  EXPECT_FALSE(careful.send(pdus("你好"), to_modem));
}

TEST(AtReader, LinesAndThePromptWhateverTheChunksAndOverlongLinesCut) {
  const std::string output =
      "AT\r\r\nOK\r\n\r\n+CREG: 0,1\r\n\r\nOK\r\n\r\n> \r\n+CMS ERROR: 500\r\n+CME ERROR: "
      "10\r\nERROR\r\n";
  AtReader whole;
  const auto lines = whole.feed(output);
  AtReader bytewise;
  std::vector<AtLine> again;
  for (char c : output) {
    for (auto& l : bytewise.feed(std::string_view(&c, 1))) again.push_back(l);
  }
  ASSERT_EQ(lines.size(), 8u);
  ASSERT_EQ(again.size(), lines.size());
  using K = AtLine::Kind;
  const std::vector<K> kinds{K::info,   K::ok,        K::info,      K::ok,
                             K::prompt, K::cms_error, K::cme_error, K::error};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].kind, kinds[i]) << i;
    EXPECT_EQ(again[i].kind, kinds[i]) << i;
  }
  EXPECT_EQ(lines[5].code, 500);
  EXPECT_EQ(lines[6].code, 10);
  AtReader flooded;
  const auto flood = flooded.feed(std::string(10'000, 'x') + "\r\nOK\r\n");
  ASSERT_EQ(flood.size(), 2u);
  EXPECT_EQ(flood[0].text.size(), AtReader::max_line);
  EXPECT_EQ(flood[1].kind, K::ok);
  EXPECT_EQ(flooded.overlong_lines(), 1u);
}

}  // namespace
}  // namespace halld::sms
