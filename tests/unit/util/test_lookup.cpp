// Closest-match suggestions for mistyped ids ("did you mean").

#include <string>
#include <vector>

#include "catch.hpp"
#include "llmroof/util/lookup.hpp"

using namespace llmroof;

TEST_CASE("closest_matches: nearest normalized names first, far ones left out", "[lookup]") {
  const std::vector<std::string> names = {"m4-pro", "m4-max", "m3-pro", "rtx-4090", "a100"};
  // "m4-pr" is one edit from m4-pro, two from m4-max and m3-pro.
  const auto m4 = closest_matches("m4-pr", names);
  REQUIRE(!m4.empty());
  CHECK(m4.front() == "m4-pro");
  // Case, spaces and dashes do not count: "M4 Pro" is m4-pro itself.
  CHECK(closest_matches("M4 Pro", names).front() == "m4-pro");
  CHECK(closest_matches("rtx4080", names).front() == "rtx-4090");
  // Nothing within the threshold (at least 2 edits, or half the key's length).
  CHECK(closest_matches("zzzzzzzz", names).empty());
  CHECK(closest_matches("m4-pr", names, 1).size() == 1);
  CHECK(closest_matches("m", {}).empty());
}

TEST_CASE("matches_key: normalize_key(text) == key without building it", "[lookup]") {
  for (const char* text : {"M4 Pro", "m4-pro", "m4pro", "M4_PRO.", "", "-", "rtx-4090", "m4"}) {
    for (const char* key : {"m4pro", "", "m4", "rtx4090", "m4pros"}) {
      CHECK(matches_key(text, key) == (normalize_key(text) == key));
    }
  }
}

TEST_CASE("name_tokens: letter and digit runs, lowercased, split where they meet", "[lookup]") {
  CHECK(name_tokens("RTX4090 Ti") == std::vector<std::string>{"rtx", "4090", "ti"});
  CHECK(name_tokens("A100-SXM4") == std::vector<std::string>{"a", "100", "sxm", "4"});
  CHECK(name_tokens("  --  ").empty());
  CHECK(name_tokens("Ryzen AI Max+ 395") == std::vector<std::string>{"ryzen", "ai", "max", "395"});
}

TEST_CASE("contains_tokens: whole words only", "[lookup]") {
  CHECK(contains_tokens("Apple M4 Pro (14-core CPU)", "m4"));
  CHECK(contains_tokens("m4-pro-20c", "M4 Pro"));
  CHECK(contains_tokens("m4-pro-20c", "m4pro"));  // m, 4, pro either way
  // The cases: "m4" is not in SXM4, "m1" is not in "SXM 141GB".
  CHECK_FALSE(contains_tokens("A100 80GB SXM4", "m4"));
  CHECK_FALSE(contains_tokens("H200 SXM 141GB", "m1"));
  CHECK_FALSE(contains_tokens("rtx-4090", "409"));
  CHECK(contains_tokens("anything", ""));
}

TEST_CASE("loose_device_key: the words people add or leave out", "[lookup]") {
  // Vendor and brand words, case, spaces and dashes do not count.
  CHECK(loose_device_key("NVIDIA GeForce RTX 4090") == "4090");
  CHECK(loose_device_key("rtx-4090") == "4090");
  // Laptop parts: "mobile" is "laptop", and the word moves to the end.
  CHECK(loose_device_key("4090 laptop") == loose_device_key("rtx-4090-laptop"));
  CHECK(loose_device_key("GeForce RTX 4090 Laptop GPU") == "4090laptop");
  CHECK(loose_device_key("laptop 4090") == "4090laptop");
  CHECK(loose_device_key("rtx-4090-mobile") == "4090laptop");
  // Raspberry Pis: "pi", "rpi" and "raspberry pi" are one word.
  CHECK(loose_device_key("rpi4") == "rpi4");
  CHECK(loose_device_key("pi4") == "rpi4");
  CHECK(loose_device_key("raspberry pi 4") == "rpi4");
  CHECK(loose_device_key("raspberry-pi-4") == "rpi4");
  CHECK(loose_device_key("Raspberry Pi 4 Model B") == "rpi4b");
  CHECK(loose_device_key("6000 ada") == loose_device_key("rtx-6000-ada-generation"));
  CHECK(loose_device_key("AMD Instinct MI300X") == "mi300x");
  // A word that tells devices apart stays: "pixel" is not "pi".
  CHECK(loose_device_key("pixel-5") == "pixel5");
}

TEST_CASE("loose_model_key: a repo id without organisation and release words", "[lookup]") {
  CHECK(loose_model_key("unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF") == "qwen330ba3b");
  CHECK(loose_model_key("meta-llama/Llama-3.1-70B-Instruct") == "llama3170b");
  CHECK(loose_model_key("google/gemma-3-27b-it-qat-q4_0-gguf") == "gemma327b");
  CHECK(loose_model_key("TheBloke/Mistral-7B-Instruct-v0.2-AWQ") == "mistral7binstructv02");
  CHECK(loose_model_key("deepseek-r1-0528") == "deepseekr1");
  // A name is never stripped to nothing, and sizes and versions stay.
  CHECK(loose_model_key("instruct") == "instruct");
  CHECK(loose_model_key("phi-4") == "phi4");
  CHECK(loose_model_key("qwen3-4b") == "qwen34b");
}
