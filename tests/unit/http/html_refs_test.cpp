// The objects a page references: which elements and attributes count, the tokenizer's
// forgiveness (comments, quotes, case, raw text, character references), resolution against
// the page or its <base href>, document order, de-duplication and the limits.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/html_refs.hpp"

namespace l7::http {
namespace {

const Url kPage = *parse_url("http://www.someschool.edu/someDept/home.index");

std::vector<std::string> urls(std::string_view html, const Url& page = kPage,
                              const HtmlRefLimits& limits = {}) {
    std::vector<std::string> out;
    for (const HtmlRef& r : extract_html_refs(html, page, limits).refs) {
        out.push_back(r.url.to_string());
    }
    return out;
}

TEST(HtmlRefs, FindsEveryKindOfObjectInDocumentOrder) {
    const auto refs = extract_html_refs(R"(<!DOCTYPE html>
<html><head>
  <link rel="stylesheet" href="style.css">
  <link rel="icon" href="/favicon.ico">
  <link rel="preload" href="font.woff2" as="font">
  <link rel="canonical" href="http://elsewhere.example/">
  <script src="app.js"></script>
</head><body>
  <img src="pic.gif" alt="x">
  <video src="clip.mp4" poster="still.jpg"><source src="clip.webm"></video>
  <audio src="sound.ogg"></audio>
  <iframe src="frame.html"></iframe>
  <embed src="plugin.swf">
  <object data="doc.pdf"></object>
  <a href="not-an-object.html">a link is not fetched</a>
</body></html>)",
                                        kPage);
    std::vector<std::string> got;
    for (const HtmlRef& r : refs.refs) {
        got.push_back(r.element + "@" + r.attribute + " " + r.url.target);
    }
    EXPECT_EQ(got, (std::vector<std::string>{
                       "link@href /someDept/style.css", "link@href /favicon.ico",
                       "link@href /someDept/font.woff2", "script@src /someDept/app.js",
                       "img@src /someDept/pic.gif", "video@src /someDept/clip.mp4",
                       "video@poster /someDept/still.jpg", "source@src /someDept/clip.webm",
                       "audio@src /someDept/sound.ogg", "iframe@src /someDept/frame.html",
                       "embed@src /someDept/plugin.swf", "object@data /someDept/doc.pdf"}));
    EXPECT_EQ(refs.skipped, 0u);
    EXPECT_FALSE(refs.truncated);
}

TEST(HtmlRefs, ReadsAttributesInAnyQuotingAndCase) {
    EXPECT_EQ(urls(R"(<IMG SRC=a.gif><Img
        alt = 'x > y'  Src = 'b c.gif' /><img alt="<img src=no.gif>" src="d.gif">)"),
              (std::vector<std::string>{"http://www.someschool.edu/someDept/a.gif",
                                        "http://www.someschool.edu/someDept/b%20c.gif",
                                        "http://www.someschool.edu/someDept/d.gif"}));
    // The first of two attributes with one name wins; an unquoted value ends at '>'.
    EXPECT_EQ(urls("<img src=first.png src=second.png><script src=/s.js>"),
              (std::vector<std::string>{"http://www.someschool.edu/someDept/first.png",
                                        "http://www.someschool.edu/s.js"}));
    // rel is a set of tokens, in any case.
    EXPECT_EQ(
        urls(
            R"(<link href="x.css" REL="Alternate StyleSheet"><link rel="shortcut icon" href=i.ico>)"),
        (std::vector<std::string>{"http://www.someschool.edu/someDept/x.css",
                                  "http://www.someschool.edu/someDept/i.ico"}));
}

TEST(HtmlRefs, SkipsCommentsAndRawText) {
    EXPECT_EQ(
        urls(R"(<!-- <img src="commented.gif"> -->
<script>var s = "<img src='in-script.gif'>"; if (a </b) {}</script>
<style>/* <img src=in-style.gif> */</style>
<title><img src=in-title.gif></title>
<textarea><img src=in-textarea.gif></TEXTAREA >
<!--><img src="after-empty-comment.gif">
<?php echo "<img src=pi.gif>" ?>
<img src="real.gif">)"),
        (std::vector<std::string>{"http://www.someschool.edu/someDept/after-empty-comment.gif",
                                  "http://www.someschool.edu/someDept/real.gif"}));
    // A script with a src is fetched; its contents are still raw text.
    EXPECT_EQ(urls(R"(<script src="a.js"><img src=no.gif></script ><img src=yes.gif>)"),
              (std::vector<std::string>{"http://www.someschool.edu/someDept/a.js",
                                        "http://www.someschool.edu/someDept/yes.gif"}));
}

TEST(HtmlRefs, DecodesCharacterReferencesInUrls) {
    EXPECT_EQ(urls(R"(<img src="/pic?w=1&amp;h=2&#38;x=3&#x26;y=4&amp&lt;">)"),
              (std::vector<std::string>{"http://www.someschool.edu/pic?w=1&h=2&x=3&y=4&%3C"}));
    // "&ampx" is not a reference (a letter follows), nor is a bare '&'.
    EXPECT_EQ(urls(R"(<img src="/a?b=1&ampx=2&c">)"),
              (std::vector<std::string>{"http://www.someschool.edu/a?b=1&ampx=2&c"}));
    // Non-ASCII becomes UTF-8 percent-encoded, as browsers send it.
    EXPECT_EQ(urls(R"(<img src="/caf&#233;.png"><img src="/caf&#xe9;.png">)"),
              (std::vector<std::string>{"http://www.someschool.edu/caf%C3%A9.png"}));
}

TEST(HtmlRefs, ResolvesAgainstTheFirstBaseHref) {
    const auto refs = extract_html_refs(R"(<img src="before.gif">
<base href="http://cdn.example:8080/assets/"><base href="/ignored/">
<img src="after.gif"><img src="/root.gif"><img src="//other.example/x.gif">)",
                                        kPage);
    EXPECT_EQ(refs.base.to_string(), "http://cdn.example:8080/assets/");
    std::vector<std::string> got;
    for (const HtmlRef& r : refs.refs) {
        got.push_back(r.url.to_string() + (r.same_origin ? " same" : " cross"));
    }
    EXPECT_EQ(got, (std::vector<std::string>{"http://cdn.example:8080/assets/before.gif cross",
                                             "http://cdn.example:8080/assets/after.gif cross",
                                             "http://cdn.example:8080/root.gif cross",
                                             "http://other.example/x.gif cross"}));
    // A relative base resolves against the page; origin compares case-insensitively.
    const auto rel = extract_html_refs(
        R"(<base href="../lib/"><img src="a.gif"><img src="http://WWW.SomeSchool.edu/b.gif">)",
        kPage);
    ASSERT_EQ(rel.refs.size(), 2u);
    EXPECT_EQ(rel.refs[0].url.to_string(), "http://www.someschool.edu/lib/a.gif");
    EXPECT_TRUE(rel.refs[0].same_origin);
    EXPECT_TRUE(rel.refs[1].same_origin);
}

TEST(HtmlRefs, DeduplicatesAndDropsFragmentsAndOtherSchemes) {
    const auto refs = extract_html_refs(
        R"html(<img src="a.gif#one"><img src="a.gif#two"><img src="./a.gif">
<img src="data:image/png;base64,AAAA"><img src="javascript:void(0)"><img src="mailto:x@y">
<img src=""><img src="#top"><iframe src="about:blank"></iframe>
<img src="  b.gif
"><img src="HTTP://www.someschool.edu/someDept/b.gif"><img src="https://secure.example/c.gif">)html",
        kPage);
    std::vector<std::string> got;
    for (const HtmlRef& r : refs.refs) {
        got.push_back(r.url.to_string());
    }
    EXPECT_EQ(got, (std::vector<std::string>{"http://www.someschool.edu/someDept/a.gif",
                                             "http://www.someschool.edu/someDept/b.gif",
                                             "https://secure.example/c.gif"}));
    EXPECT_EQ(refs.skipped, 6u);
}

TEST(HtmlRefs, KeepsSchemeLikeTextInRelativeReferences) {
    EXPECT_EQ(
        urls(R"(<img src="/go?to=http://x.example/&y=1"><img src="?q=http://z">)"),
        (std::vector<std::string>{"http://www.someschool.edu/go?to=http://x.example/&y=1",
                                  "http://www.someschool.edu/someDept/home.index?q=http://z"}));
    EXPECT_EQ(
        urls(R"(<img src="dir/http://odd.gif">)"),
        (std::vector<std::string>{"http://www.someschool.edu/someDept/dir/http%3A//odd.gif"}));
}

TEST(HtmlRefs, TakesSrcsetsFirstUrlOnlyWithoutSrc) {
    EXPECT_EQ(urls(R"(<img srcset=" ,small.jpg 1x, big.jpg 2x"><img srcset="x.jpg 1x" src="y.jpg">
<img srcset="only.jpg,">)"),
              (std::vector<std::string>{"http://www.someschool.edu/someDept/small.jpg",
                                        "http://www.someschool.edu/someDept/y.jpg",
                                        "http://www.someschool.edu/someDept/only.jpg"}));
}

TEST(HtmlRefs, ForgivesBrokenMarkup) {
    // An unclosed tag at the end is dropped; stray '<' are text; a tag cut by the end of the
    // input inside a quote is dropped.
    EXPECT_EQ(urls("a < b <3 <img src=ok.gif><<img src=two.gif><img src=\"cut.gif"),
              (std::vector<std::string>{"http://www.someschool.edu/someDept/ok.gif",
                                        "http://www.someschool.edu/someDept/two.gif"}));
    EXPECT_TRUE(urls("<img src=x.gif").empty());
    EXPECT_TRUE(urls("<script>never closed <img src=no.gif>").empty());
    EXPECT_TRUE(urls("<!-- never closed <img src=no.gif>").empty());
    EXPECT_TRUE(urls("").empty());
    EXPECT_TRUE(urls("<").empty());
}

TEST(HtmlRefs, HonoursItsLimits) {
    std::string html;
    for (int i = 0; i < 50; ++i) {
        html += "<img src=\"i" + std::to_string(i) + ".gif\">";
    }
    HtmlRefLimits limits;
    limits.max_refs = 10;
    auto refs = extract_html_refs(html, kPage, limits);
    EXPECT_EQ(refs.refs.size(), 10u);
    EXPECT_TRUE(refs.truncated);
    limits = {};
    limits.max_url_length = 20;
    refs = extract_html_refs("<img src=\"" + std::string(100, 'a') + "\"><img src=short.gif>",
                             kPage, limits);
    ASSERT_EQ(refs.refs.size(), 1u);
    EXPECT_EQ(refs.refs[0].url.target, "/someDept/short.gif");
    EXPECT_EQ(refs.skipped, 1u);
    limits = {};
    limits.max_html_bytes = 16;
    refs = extract_html_refs("<img src=a.gif><img src=b.gif>", kPage, limits);
    ASSERT_EQ(refs.refs.size(), 1u);
    EXPECT_TRUE(refs.truncated);
}

}  // namespace
}  // namespace l7::http
