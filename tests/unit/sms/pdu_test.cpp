// SMS-SUBMIT PDUs byte by byte (docs/protocols/sms_pdu.md), Chinese text, concatenation, and
// decoding that names what is wrong with a damaged PDU.
#include "halld/sms/pdu.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace halld::sms {
namespace {

using ::testing::HasSubstr;

std::vector<EncodedPdu> encode(std::string_view to, std::string_view text,
                               SubmitOptions options = {}) {
  auto result = encode_submit(to, text, options);
  if (auto* e = std::get_if<PduError>(&result)) ADD_FAILURE() << e->message;
  return std::get<std::vector<EncodedPdu>>(result);
}

Submit decode(std::string_view hex) {
  auto result = decode_submit(hex);
  if (auto* e = std::get_if<PduError>(&result)) ADD_FAILURE() << e->message;
  return std::get<Submit>(result);
}

std::string error_of(std::string_view to, std::string_view text) {
  auto result = encode_submit(to, text, {});
  return std::holds_alternative<PduError>(result) ? std::get<PduError>(result).message : "no error";
}

TEST(SmsPdu, EncodesTheDocumentedExample) {
  // 你好 to +86 138 0013 8000, no delivery report: every octet worked out in the protocol doc.
  const auto pdus = encode("+8613800138000", "你好", {.status_report = false});
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].hex,
            "00"
            "11"
            "00"
            "0D"
            "91"
            "683108108300F0"
            "00"
            "08"
            "A7"
            "04"
            "4F60"
            "597D");
  EXPECT_EQ(pdus[0].tpdu_octets, 19u);
  // Asking for a delivery report sets TP-SRR; a national number has type 0x81.
  EXPECT_EQ(encode("10086", "好")[0].hex,
            "00"
            "31"
            "00"
            "05"
            "81"
            "0180F6"
            "00"
            "08"
            "A7"
            "02"
            "597D");
}

TEST(SmsPdu, DecodesWhatItEncodes) {
  const auto s = decode(encode("+8613800138000", "营业厅 4101001 排队 35 人，超过上限 30")[0].hex);
  EXPECT_EQ(s.destination, "+8613800138000");
  EXPECT_TRUE(s.status_report);
  EXPECT_EQ(s.data_coding, 0x08);
  EXPECT_FALSE(s.concatenation);
  EXPECT_EQ(utf8_of(s.text), "营业厅 4101001 排队 35 人，超过上限 30");
}

TEST(SmsPdu, LongTextsGoInConcatenatedPartsThatNeverSplitACharacter) {
  std::string text;
  for (int i = 0; i < 150; ++i) text += "排";
  const auto pdus = encode("13800138000", text, {.concat_reference = 42});
  ASSERT_EQ(pdus.size(), 3u);  // 67 + 67 + 16
  std::u16string joined;
  for (std::size_t i = 0; i < pdus.size(); ++i) {
    const auto s = decode(pdus[i].hex);
    ASSERT_TRUE(s.concatenation);
    EXPECT_EQ(s.concatenation->reference, 42);
    EXPECT_EQ(s.concatenation->total, 3);
    EXPECT_EQ(s.concatenation->sequence, i + 1);
    joined += s.text;
  }
  EXPECT_EQ(utf8_of(joined), text);
  EXPECT_EQ(pdus[0].tpdu_octets, 14u + 140u) << "a full part carries 140 octets of user data";
  // 70 units fit one message; 71 do not.
  EXPECT_EQ(encode("10086", std::string(70, 'a')).size(), 1u);
  EXPECT_EQ(encode("10086", std::string(71, 'a')).size(), 2u);
  // A character outside the BMP (two code units) straddling a part's end moves whole to the next.
  const auto straddling = encode("10086", std::string(66, 'a') + "😀" + std::string(10, 'b'));
  ASSERT_EQ(straddling.size(), 2u);
  EXPECT_EQ(decode(straddling[0].hex).text.size(), 66u);
  EXPECT_EQ(utf8_of(decode(straddling[1].hex).text), "😀" + std::string(10, 'b'));
}

TEST(SmsPdu, RefusesWhatCannotBeSent) {
  EXPECT_THAT(error_of("138-0013", "x"), HasSubstr("not a phone number"));
  EXPECT_THAT(error_of("+", "x"), HasSubstr("not a phone number"));
  EXPECT_THAT(error_of(std::string(21, '1'), "x"), HasSubstr("at most 20"));
  EXPECT_THAT(error_of("10086", ""), HasSubstr("empty"));
  EXPECT_THAT(error_of("10086", "ok \xC3"), HasSubstr("not UTF-8 at byte 3"));
  EXPECT_THAT(error_of("10086", "\xED\xA0\x80"), HasSubstr("not UTF-8"));  // an encoded surrogate
  EXPECT_THAT(error_of("10086", "\xC0\xAF"), HasSubstr("not UTF-8"));      // overlong
  EXPECT_EQ(encode("10086", std::string(255 * 67, 'a')).size(), 255u);
  EXPECT_THAT(error_of("10086", std::string(255 * 67 + 1, 'a')),
              HasSubstr("256 parts; at most 255"));
}

TEST(SmsPdu, DecodingNamesTheDamageAndNeverReadsPastTheEnd) {
  const std::string good = encode("+8613800138000", "你好，营业厅")[0].hex;
  for (std::size_t cut = 0; cut < good.size(); cut += 2) {
    EXPECT_TRUE(std::holds_alternative<PduError>(decode_submit(good.substr(0, cut))))
        << "cut at " << cut;
  }
  auto error = [](std::string_view hex) {
    auto r = decode_submit(hex);
    return std::holds_alternative<PduError>(r) ? std::get<PduError>(r).message : "no error";
  };
  EXPECT_THAT(error("0011"), HasSubstr("cut short"));
  EXPECT_THAT(error("001"), HasSubstr("odd number"));
  EXPECT_THAT(error("00XY"), HasSubstr("not a hex digit"));
  EXPECT_THAT(error("00040005810180F60008A702597D"),
              HasSubstr("not an SMS-SUBMIT"));  // TP-MTI 00: a DELIVER
  EXPECT_THAT(error("00310005810180F60000A702597D"), HasSubstr("data coding 0x00"));
  EXPECT_THAT(error("00310005810180F60008A703597D"), HasSubstr("user data length 3 but 2"));
  EXPECT_THAT(error("003100058101A0F60008A702597D"), HasSubstr("not 0–9"));
  EXPECT_THAT(error("00710005810180F60008A708050003010304597D"), HasSubstr("part 4 of 3"));
  EXPECT_THAT(error("00710005810180F60008A7080900030103020000597D"),
              HasSubstr("user data length 8 but 10"));
}

TEST(SmsPdu, Utf8AndUtf16RoundTrip) {
  const std::string text = "供电营业厅 ABC 😀 ©";
  const auto units = std::get<std::u16string>(utf16_of(text));
  EXPECT_EQ(units.size(), 14u);
  EXPECT_EQ(utf8_of(units), text);
  EXPECT_EQ(utf8_of(std::u16string(1, u'\xD800')), "\xEF\xBF\xBD")
      << "a lone surrogate becomes U+FFFD";
}

}  // namespace
}  // namespace halld::sms
