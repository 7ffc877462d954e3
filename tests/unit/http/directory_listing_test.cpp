#include "http/directory_listing.hpp"

#include <gtest/gtest.h>

namespace l7::http {
namespace {

TEST(DirectoryListing, DirectoriesFirstThenFilesByName) {
    const std::string html = directory_listing_html(
        "/docs/", {{"b.txt", false, 10, 0}, {"zdir", true, 0, 0}, {"a.txt", false, 2048, 0}});
    const auto zdir = html.find("zdir/");
    const auto a = html.find("a.txt");
    const auto b = html.find("b.txt");
    ASSERT_NE(zdir, std::string::npos);
    EXPECT_LT(zdir, a);
    EXPECT_LT(a, b);
    EXPECT_NE(html.find(">2.0K<"), std::string::npos);
    EXPECT_NE(html.find("href=\"../\""), std::string::npos);
}

TEST(DirectoryListing, RootHasNoParentLink) {
    EXPECT_EQ(directory_listing_html("/", {}).find("../"), std::string::npos);
}

TEST(DirectoryListing, HostileNamesAreEncodedInLinksAndEscapedInText) {
    const std::string html =
        directory_listing_html("/<x>/", {{"\"><script>a b?#.html", false, 1, 0}});
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_EQ(html.find("<x>"), std::string::npos);
    EXPECT_NE(html.find("href=\"./%22%3E%3Cscript%3Ea%20b%3F%23.html\""), std::string::npos);
    EXPECT_NE(html.find("&quot;&gt;&lt;script&gt;a b?#.html</a>"), std::string::npos);
}

TEST(DirectoryListing, TimesAreUtc) {
    EXPECT_NE(directory_listing_html("/", {{"f", false, 0, 784111777}}).find("1994-11-06 08:49"),
              std::string::npos);
}

TEST(DirectoryListing, BoundedAndSaysHowManyWereLeftOut) {
    std::vector<DirectoryEntry> many(kMaxListingEntries + 5);
    for (std::size_t i = 0; i < many.size(); ++i) {
        many[i].name = "f" + std::to_string(i);
    }
    EXPECT_NE(directory_listing_html("/", std::move(many)).find("5 more entries not shown"),
              std::string::npos);
}

}  // namespace
}  // namespace l7::http
