#include "ingest/export_response.h"

#include <string>

#include <gtest/gtest.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace roost::ingest {
namespace {

using Response = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

TEST(EncodeExportResponseTest, FullSuccessIsAnEmptyMessage) {
  EXPECT_EQ(EncodeExportResponseProtobuf(0, "ignored"), "");
  EXPECT_EQ(EncodeExportResponseJson(0, "ignored"), "{}");
}

TEST(EncodeExportResponseTest, PartialSuccessCarriesCountAndMessage) {
  Response response;
  ASSERT_TRUE(response.ParseFromString(EncodeExportResponseProtobuf(3, "3 spans rejected")));
  ASSERT_TRUE(response.has_partial_success());
  EXPECT_EQ(response.partial_success().rejected_spans(), 3);
  EXPECT_EQ(response.partial_success().error_message(), "3 spans rejected");
  EXPECT_EQ(EncodeExportResponseJson(3, "bad \"id\""),
            R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"bad \"id\""}})");
}

TEST(EncodeExportResponseTest, MessageIsMadeValidUtf8) {
  Response response;
  ASSERT_TRUE(response.ParseFromString(EncodeExportResponseProtobuf(1,
                                                                    "a\xff"
                                                                    "b")));
  EXPECT_EQ(response.partial_success().error_message(), "a?b");
  EXPECT_EQ(EncodeExportResponseJson(1, "caf\xc3\xa9\xc3"),
            "{\"partialSuccess\":{\"rejectedSpans\":\"1\",\"errorMessage\":\"caf\xc3\xa9?\"}}");
}

}  // namespace
}  // namespace roost::ingest
