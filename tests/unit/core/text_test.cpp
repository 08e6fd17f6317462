#include "halld/core/text.hpp"

#include <gtest/gtest.h>

namespace halld {
namespace {

using namespace std::string_literals;

TEST(Text, ValidUtf8AcceptsEveryPlaneAndRefusesMalformedForms) {
  EXPECT_TRUE(is_valid_utf8("营业厅 A-1 \xF0\x9F\x98\x80"));
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong, three bytes
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE8\x90"));          // cut short
  EXPECT_FALSE(is_valid_utf8("\x80"));              // a lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Text, StorableTextHasNoNul) {
  EXPECT_TRUE(is_storable_text("a\tb\n"));
  EXPECT_FALSE(is_storable_text("a\0b"s));
  EXPECT_FALSE(is_storable_text("\xFF"));
}

TEST(Text, DisplayTextRefusesControlsAndInvisibleFormatting) {
  EXPECT_TRUE(is_display_text("郑州金水营业厅 (No.1)"));
  EXPECT_FALSE(is_display_text("a\nb"));
  EXPECT_FALSE(
      is_display_text("\xE2\x80\xAE"
                      "abc"));  // U+202E right-to-left override
  EXPECT_FALSE(
      is_display_text("\xEF\xBB\xBF"
                      "abc"));  // U+FEFF byte-order mark
  EXPECT_FALSE(
      is_display_text("a\xE2\x80\x8B"
                      "b"));                  // U+200B zero-width space
  EXPECT_FALSE(is_display_text("\xC2\x85"));  // U+0085, a C1 control
  EXPECT_FALSE(is_display_text("\0\xE2\x80\xAE\xEF\xBB\xBF"s));
}

TEST(Text, PrintableExcerptRepairsAndNeverCutsACharacter) {
  EXPECT_EQ(printable_excerpt("ok", 10), "ok");
  EXPECT_EQ(printable_excerpt("a\0b"s, 10),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(printable_excerpt("a\xFF", 10), "a\xEF\xBF\xBD");
  EXPECT_EQ(printable_excerpt("营业厅", 7), "营业");  // the third character does not fit whole
  EXPECT_TRUE(is_storable_text(printable_excerpt("\xC0\xAF\0\xED\xA0\x80"s, 100)));
}

}  // namespace
}  // namespace halld
