// JsonReader is internal, but the JSON decoder's correctness rests on it, so it is checked
// directly: event by event against nlohmann's SAX parser as the reference.

#include "ingest/internal/json_reader.h"

#include <charconv>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ingest/json_encoder.h"
#include "tests/ingest/test_spans.h"

namespace roost::ingest::internal {
namespace {

std::string Number(double d) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, end);
}

// Records events as text, in one notation for both parsers.
struct Recorder {
  std::string events;
  bool Null() { return Add("null"); }
  bool Bool(bool b) { return Add(b ? "true" : "false"); }
  bool Int(int64_t i) { return Add("i" + std::to_string(i)); }
  bool Uint(uint64_t u) { return Add("u" + std::to_string(u)); }
  bool Double(double d) { return Add("d" + Number(d)); }
  bool String(std::string& s) { return Add("s" + nlohmann::json(s).dump(-1, ' ', true)); }
  bool Key(std::string_view k) {
    return Add("k" + nlohmann::json(std::string(k)).dump(-1, ' ', true));
  }
  bool StartObject() { return Add("{"); }
  bool EndObject() { return Add("}"); }
  bool StartArray() { return Add("["); }
  bool EndArray() { return Add("]"); }
  bool Add(const std::string& e) {
    events += e + ' ';
    return true;
  }
};

// Adapts Recorder to nlohmann's SAX interface.
struct NlohmannRecorder {
  Recorder r;
  bool null() { return r.Null(); }
  bool boolean(bool b) { return r.Bool(b); }
  bool number_integer(int64_t i) { return r.Int(i); }
  bool number_unsigned(uint64_t u) { return r.Uint(u); }
  bool number_float(double d, const std::string&) { return r.Double(d); }
  bool string(std::string& s) { return r.String(s); }
  bool binary(nlohmann::json::binary_t&) { return false; }
  bool start_object(size_t) { return r.StartObject(); }
  bool key(std::string& k) { return r.Key(k); }
  bool end_object() { return r.EndObject(); }
  bool start_array(size_t) { return r.StartArray(); }
  bool end_array() { return r.EndArray(); }
  bool parse_error(size_t, const std::string&, const nlohmann::json::exception&) { return false; }
};

// Expects JsonReader and nlohmann to agree on `text`: both reject it, or both accept it with the
// same events.
void ExpectSameAsNlohmann(const std::string& text) {
  Recorder ours;
  JsonReader reader(text, 100000);
  const bool ours_ok = reader.Read(ours);
  NlohmannRecorder theirs;
  const bool theirs_ok = nlohmann::json::sax_parse(text.data(), text.data() + text.size(), &theirs);
  ASSERT_EQ(ours_ok, theirs_ok) << "text: " << nlohmann::json(text).dump(-1, ' ', true) << "\n"
                                << reader.error().ToString();
  if (ours_ok) {
    EXPECT_EQ(ours.events, theirs.r.events);
  } else {
    EXPECT_THAT(reader.error().message(), ::testing::StartsWith("invalid JSON at byte "));
  }
}

TEST(JsonReaderTest, AgreesWithNlohmannOnValidDocuments) {
  const char* docs[] = {
      "{}",
      "[]",
      " \t\r\n{ } ",
      "0",
      "-0",
      "1",
      "-1",
      "18446744073709551615",
      "18446744073709551616",
      "-9223372036854775808",
      "-9223372036854775809",
      "1.5",
      "-0.0",
      "1e3",
      "1E-3",
      "2.5e+10",
      "1e-400",
      "123456789012345678901234567890",
      "true",
      "false",
      "null",
      R"("")",
      R"("plain")",
      R"("esc \" \\ \/ \b \f \n \r \t")",
      R"("\u0000\u001f\u00e9")",
      R"("\ud83d\ude00 \uD83D\uDE00")",
      "\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"",
      "\"\x7f\"",
      R"({"a":1,"b":[true,false,null,{"c":"d"}],"e":{}})",
      R"([1,[2,[3,[4,[]]]]])",
      "\xEF\xBB\xBF{\"bom\":1}",
      R"({"dup":1,"dup":2})",
      R"("a long string well beyond eight bytes with \"quotes\" inside")",
  };
  for (const char* doc : docs) ExpectSameAsNlohmann(doc);
}

TEST(JsonReaderTest, AgreesWithNlohmannOnInvalidDocuments) {
  const std::string docs[] = {
      "",
      " ",
      "{",
      "}",
      "[",
      "]",
      "[1,]",
      "{\"a\":1,}",
      "{\"a\"}",
      "{\"a\" 1}",
      "{a:1}",
      "{'a':1}",
      "[1 2]",
      "01",
      "-",
      "-a",
      "1.",
      ".5",
      "1e",
      "1e+",
      "+1",
      "0x10",
      "NaN",
      "Infinity",
      "tru",
      "nul",
      "truex",
      "1e400",
      "-1e400",
      "\"unterminated",
      "\"bad \\x escape\"",
      "\"\\u12\"",
      "\"\\u12G4\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "\"\\ud800x\"",
      std::string("\"raw \x01 control\""),
      std::string("\"nul \0 inside\"", 14),
      "\"\xff\"",
      "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\"\xe2\x9c\"",
      "{} {}",
      "[] x",
      "{\"a\":1}}",
      "[1]]",
      "/* c */ {}",
      "{\"a\":1 // c\n}",
  };
  for (const std::string& doc : docs) ExpectSameAsNlohmann(doc);
}

TEST(JsonReaderTest, AgreesWithNlohmannOnMutatedOtlpBodies) {
  std::vector<Span> spans = {testing::MakeFullSpan(), testing::MakeLlmSpan(1)};
  const std::string body = EncodeJson(spans);
  ExpectSameAsNlohmann(body);
  std::mt19937 rng(7);
  const char alphabet[] = "{}[],:\"\\-+.0123456789eEtfnu \x01\x7f\xc3\xa9\xff";
  for (int i = 0; i < 1500; ++i) {  // bounded: 1500 mutants
    std::string mutant = body;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % mutant.size();
      const char c = alphabet[rng() % (sizeof(alphabet) - 1)];
      switch (rng() % 3) {
        case 0:
          mutant[at] = c;
          break;
        case 1:
          mutant.insert(at, 1, c);
          break;
        default:
          mutant.erase(at, 1);
      }
    }
    ExpectSameAsNlohmann(mutant);
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(JsonReaderTest, RefusesNestingDeeperThanTheLimit) {
  Recorder r;
  JsonReader ok("[[[]]]", 3);
  EXPECT_TRUE(ok.Read(r));
  JsonReader deep("[[[[]]]]", 3);
  EXPECT_FALSE(deep.Read(r));
  EXPECT_EQ(deep.error().message(), "JSON nested deeper than 3 levels at byte 3");
}

TEST(JsonReaderTest, StopsWhenTheHandlerSaysSo) {
  struct Stopper : Recorder {
    bool Key(std::string_view) { return false; }
  } stopper;
  JsonReader reader(R"({"a":1})", 10);
  EXPECT_FALSE(reader.Read(stopper));
  EXPECT_TRUE(reader.error().ok());
}

}  // namespace
}  // namespace roost::ingest::internal
