#include "http/html_escape.hpp"

#include <gtest/gtest.h>

namespace l7::http {
namespace {

TEST(HtmlEscape, EscapesMarkupAndBothQuotes) {
    EXPECT_EQ(escape_html(R"(<a href="x" title='y'>&</a>)"),
              "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
}

TEST(HtmlEscape, LeavesOtherTextAlone) {
    EXPECT_EQ(escape_html("caf\xc3\xa9 / 100% ok"), "caf\xc3\xa9 / 100% ok");
    EXPECT_EQ(escape_html(""), "");
}

}  // namespace
}  // namespace l7::http
