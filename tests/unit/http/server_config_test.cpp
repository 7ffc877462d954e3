#include "http/server_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/config.hpp"

namespace l7::http {
namespace {

namespace fs = std::filesystem;

class ServerConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() /
                ("l7-server-config-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(base_ / "www");
        fs::create_directories(base_ / "shop");
        std::ofstream(base_ / "404.html") << "<h1>gone</h1>";
        std::ofstream(base_ / "users") << "alice:$y$j9T$abc$def\n";
    }
    void TearDown() override { fs::remove_all(base_); }

    ServerConfig parse(const std::string& text) {
        return parse_server_config(text, "sites.toml", base_);
    }
    // The message of the ConfigError that parsing `text` throws.
    std::string error_of(const std::string& text) {
        try {
            parse(text);
        } catch (const config::ConfigError& e) {
            return e.what();
        }
        return "(no error)";
    }

    fs::path base_;
};

TEST_F(ServerConfigTest, FullHostWithEveryTable) {
    const ServerConfig c = parse(R"(
listen = ["127.0.0.1:8080", "[::1]:8080"]
threads = 2
access_log = "-"
header_timeout = "5s"
max_connections = 100

[[host]]
names = ["WWW.Hamburger.EDU.", "*.hamburger.edu"]
root = "www"
index = ["index.html", "index.htm"]
listing = true
gzip = false

[[host.redirect]]
from = "/old/*"
to = "/new/*"
status = 308

[[host.error_page]]
status = 404
file = "404.html"

[[host.writable]]
prefix = "/upload/"
password_file = "users"

[[host]]
names = ["shop.networkutopia.com"]
root = "shop"
app = "shop"
default = true
)");
    EXPECT_EQ(c.listen.size(), 2u);
    EXPECT_EQ(c.threads, 2u);
    EXPECT_EQ(c.access_log, "-");
    EXPECT_EQ(c.header_timeout, std::chrono::seconds(5));
    EXPECT_EQ(c.max_connections, 100u);
    ASSERT_EQ(c.hosts.size(), 2u);
    const HostConfig& www = c.hosts[0];
    EXPECT_EQ(www.names, (std::vector<std::string>{"www.hamburger.edu", "*.hamburger.edu"}));
    EXPECT_EQ(www.root, base_ / "www");
    EXPECT_TRUE(www.listing);
    EXPECT_FALSE(www.gzip);
    EXPECT_FALSE(www.is_default);
    ASSERT_EQ(www.redirects.size(), 1u);
    EXPECT_EQ(www.redirects[0].status, 308);
    ASSERT_EQ(www.error_pages.size(), 1u);
    EXPECT_EQ(www.error_pages[0].file, base_ / "404.html");
    ASSERT_EQ(www.writable.size(), 1u);
    EXPECT_EQ(www.writable[0].realm, "www.hamburger.edu");
    EXPECT_TRUE(c.hosts[1].is_default);
    EXPECT_EQ(c.hosts[1].app_database, base_ / "shop.db");
}

TEST_F(ServerConfigTest, TheFirstHostIsTheDefaultUnlessOneSaysSo) {
    const ServerConfig c = parse(
        "[[host]]\nnames=['a.test']\nroot='www'\n"
        "[[host]]\nnames=['b.test']\nroot='shop'\n");
    EXPECT_TRUE(c.hosts[0].is_default);
    EXPECT_FALSE(c.hosts[1].is_default);
}

TEST_F(ServerConfigTest, MistakesNameTheFileLineAndKey) {
    EXPECT_NE(error_of("[[host]]\nnames=['a.test']\nroot='nowhere'\n").find("sites.toml:3"),
              std::string::npos);
    EXPECT_NE(
        error_of("[[host]]\nnames=['a.test']\nroot='www'\nlisting=true\nlistng=1\n").find("listng"),
        std::string::npos);
    EXPECT_NE(error_of("[[host]]\nnames=['a b']\nroot='www'\n").find("not a host name"),
              std::string::npos);
    EXPECT_NE(error_of("[[host]]\nnames=['a.test']\nroot='www'\n"
                       "[[host]]\nnames=['A.test']\nroot='www'\n")
                  .find("belongs to another host"),
              std::string::npos);
    EXPECT_NE(error_of("[[host]]\nnames=['a.test']\nroot='www'\ndefault=true\n"
                       "[[host]]\nnames=['b.test']\nroot='www'\ndefault=true\n")
                  .find("only one host"),
              std::string::npos);
    EXPECT_NE(error_of("[[host]]\nnames=['a.test']\nroot='www'\n[[host.redirect]]\n"
                       "from='/a'\nto='/b/*'\n")
                  .find("needs a 'from' ending"),
              std::string::npos);
    EXPECT_NE(error_of("[[host]]\nnames=['a.test']\nroot='www'\n[[host.redirect]]\n"
                       "from='/a'\nto='/b'\nstatus=304\n")
                  .find("expected 301"),
              std::string::npos);
    EXPECT_NE(error_of("[[host]]\nnames=['a.test']\nroot='www'\n[[host.redirect]]\n"
                       "from='/a'\nto='/b\r\nSet-Cookie: x'\n")
                  .find("control characters"),
              std::string::npos);
    EXPECT_NE(error_of("[[host]]\nnames=['a.test']\nroot='www'\napp='wiki'\n").find("not an app"),
              std::string::npos);
    EXPECT_NE(error_of("listen=['x']\n").find("at least one [[host]]"), std::string::npos);
    EXPECT_NE(error_of("[[host]]\nnames=['a.test']\nroot='www'\n[[host.writable]]\n"
                       "prefix='/up'\npassword_file='users'\n")
                  .find("starts and ends with '/'"),
              std::string::npos);
}

TEST(HostNameMatches, ExactAndWildcard) {
    EXPECT_TRUE(host_name_matches("a.test", "a.test"));
    EXPECT_FALSE(host_name_matches("a.test", "b.a.test"));
    EXPECT_TRUE(host_name_matches("*.a.test", "b.a.test"));
    EXPECT_TRUE(host_name_matches("*.a.test", "c.b.a.test"));
    EXPECT_FALSE(host_name_matches("*.a.test", "a.test"));
    EXPECT_FALSE(host_name_matches("*.a.test", "xa.test"));
}

}  // namespace
}  // namespace l7::http
