#include "web/assets.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace bts::web {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(WebAssets, UplotIsEmbeddedByteForByte) {
  const asset* js = find_asset("uplot.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->body, read_file(BTS_SOURCE_DIR "/third_party/uplot/uPlot.iife.min.js"));
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  const asset* css = find_asset("uplot.css");
  ASSERT_NE(css, nullptr);
  EXPECT_EQ(css->body, read_file(BTS_SOURCE_DIR "/third_party/uplot/uPlot.min.css"));
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
}

TEST(WebAssets, TargetsMapToAssetsAndNothingElse) {
  EXPECT_EQ(asset_for_target("/assets/uplot.js"), find_asset("uplot.js"));
  EXPECT_EQ(asset_for_target("/assets/uplot.css?v=1"), find_asset("uplot.css"));
  EXPECT_EQ(asset_for_target("/assets/"), nullptr);
  EXPECT_EQ(asset_for_target("/assets/../etc/passwd"), nullptr);
  EXPECT_EQ(asset_for_target("/assets/nope.js"), nullptr);
  EXPECT_EQ(asset_for_target("/uplot.js"), nullptr);
  EXPECT_EQ(find_asset("missing"), nullptr);
}

TEST(WebAssets, EscapesHtmlAndScriptData) {
  EXPECT_EQ(html_escape(R"(<a href="x">'&'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(script_safe(R"({"s":"</script><b>"})"), R"({"s":"<\/script><b>"})");
  EXPECT_EQ(script_safe("a\xe2\x80\xa8" "b\xe2\x80\xa9"), "a\\u2028b\\u2029");
}

}  // namespace
}  // namespace bts::web
