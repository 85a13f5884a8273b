// Names from model and device files reach the terminal with their control characters escaped.

#include "catch.hpp"
#include "llmroof/util/text.hpp"

using llmroof::terminal_safe;

TEST_CASE("terminal_safe escapes C0, DEL and C1 controls and keeps other text", "[util]") {
  CHECK(terminal_safe("rtx-4090 (24 GB) — ü") == "rtx-4090 (24 GB) — ü");
  // Clear screen, an OSC window title, a bell, DEL.
  CHECK(terminal_safe("\x1b[2J\x1b]0;pwned\x07x\x7f") == "\\x1b[2J\\x1b]0;pwned\\x07x\\x7f");
  // CSI as a C1 control (U+009B, UTF-8 C2 9B); U+00A0 is text.
  CHECK(terminal_safe("a\xc2\x9b"
                      "31mb\xc2\xa0") == "a\\u009b31mb\xc2\xa0");
  CHECK(terminal_safe("two\nlines\t") == "two\\x0alines\\x09");
  CHECK(terminal_safe("two\nlines", true) == "two\nlines");
  CHECK(terminal_safe(std::string("nul\0byte", 8)) == "nul\\x00byte");
}

TEST_CASE("valid_utf8 accepts well-formed UTF-8 only", "[util]") {
  using llmroof::valid_utf8;
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ascii"));
  CHECK(valid_utf8("ü € 𝄞 \xf4\x8f\xbf\xbf"));  // 2, 3 and 4 bytes, U+10FFFF
  CHECK_FALSE(valid_utf8("\xff"));
  CHECK_FALSE(valid_utf8("\x80"));              // a stray continuation byte
  CHECK_FALSE(valid_utf8("\xc3"));              // truncated
  CHECK_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(valid_utf8("\xe0\x80\xaf"));      // overlong
  CHECK_FALSE(valid_utf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}
