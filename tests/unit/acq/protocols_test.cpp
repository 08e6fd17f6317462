// The protocols channels speak: description files read and checked, one generation of codecs
// made from the registry's texts, and a channel's codec and checksum looked up by its protocol.
#include "halld/acq/protocols.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "process.hpp"

namespace halld::acq {
namespace {

using ::testing::HasSubstr;

const std::string vendor_text =
    testing::read_text(HALLD_SOURCE_DIR "/config/protocols/vendor_text_queue.yaml");

TEST(ProtocolDirectory, ReadsEveryDescriptionFileAndNamesTheOnesItRefuses) {
  testing::TempDir dir;
  dir.write("vendor.yaml", vendor_text);
  dir.write("twin.yml", vendor_text);
  dir.write("bad.json", R"({"protocol": "bad", "family": "queue_eval", "kind": "sideways"})");
  dir.write("notes.txt", "not a description");
  dir.write("huge.yaml", std::string(max_description_bytes + 1, '#'));
  const auto reading = read_protocol_directory(dir.path());
  ASSERT_EQ(reading.entries.size(), 1u);
  const auto& entry = reading.entries[0];
  EXPECT_EQ(entry.name, "vendor_text_queue");
  EXPECT_EQ(entry.family, "queue_eval");
  EXPECT_EQ(entry.origin, "file");
  EXPECT_EQ(entry.checksum.size(), 64u);
  ASSERT_EQ(reading.problems.size(), 3u);
  EXPECT_THAT(reading.problems[0], HasSubstr("bad.json: line 1: 'kind' must be binary or text"));
  EXPECT_THAT(reading.problems[1], HasSubstr("huge.yaml: larger than 262144 bytes"));
  EXPECT_THAT(reading.problems[2], HasSubstr("vendor.yaml: another file describes"))
      << "files are read in name order: twin.yml came first";
  EXPECT_TRUE(read_protocol_directory(dir.path() / "missing").entries.empty());
}

TEST(Protocols, AChannelGetsItsOwnProtocolOrItsDescriptionsCodec) {
  std::vector<std::string> problems;
  const Protocols protocols({{"vendor_text_queue", vendor_text}, {"old", "protocol: old\n"}},
                            problems);
  ASSERT_EQ(problems.size(), 1u) << "a text that no longer loads is named and left out";
  records::AcquisitionChannel own;
  own.protocol = records::ChannelProtocol::terminal;
  ASSERT_NE(protocols.codec(own), nullptr);
  EXPECT_EQ(protocols.checksum(own), "");
  records::AcquisitionChannel vendor;
  vendor.described_protocol = "vendor_text_queue";
  const auto codec = protocols.codec(vendor);
  ASSERT_NE(codec, nullptr);
  EXPECT_EQ(protocols.checksum(vendor), checked_entry(vendor_text, "api").checksum);
  const std::string take = "cmd=TAKE;seq=7;time=20261123171500;no=A015;biz=x\r\n";
  const auto reading =
      codec->read(std::span(reinterpret_cast<const std::uint8_t*>(take.data()), take.size()), {});
  ASSERT_TRUE(std::holds_alternative<proto::SessionCodec::Frame>(reading));
  EXPECT_EQ(std::get<proto::SessionCodec::Frame>(reading).sequence, 7u);
  vendor.described_protocol = "retired_meanwhile";
  EXPECT_EQ(protocols.codec(vendor), nullptr);
}

TEST(Protocols, ACheckedEntryRefusesWhatIsTooLargeOrUnsound) {
  EXPECT_THROW(checked_entry(std::string(max_description_bytes + 1, ' '), "api"),
               proto::described::DescriptionError);
  try {
    checked_entry("protocol: x\nfamily: meters\n", "api");
    FAIL() << "a family halld does not know";
  } catch (const proto::described::DescriptionError& e) {
    EXPECT_EQ(e.line, 2u);
  }
}

}  // namespace
}  // namespace halld::acq
