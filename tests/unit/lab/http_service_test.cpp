// The lab's web servers: the embedded sites, the http kind's settings, and the default
// topology's sites. Serving them is tested end to end by tests/interop/http_lab.py.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "http/html_refs.hpp"
#include "http/url.hpp"
#include "lab/lab.hpp"
#include "lab/services.hpp"
#include "lab/site_files.hpp"
#include "lab/state_dir.hpp"

namespace l7::lab {
namespace {

namespace fs = std::filesystem;

// The embedded file of `site` at URL path `path` ("/" and directories: their index.html).
const SiteFile* find_file(std::string_view site, std::string path) {
    if (path.ends_with('/')) {
        path += "index.html";
    }
    for (const SiteFile& f : site_files()) {
        if (f.site == site && "/" + std::string(f.path) == path) {
            return &f;
        }
    }
    return nullptr;
}

std::vector<http::HtmlRef> refs_of(std::string_view site, std::string_view path) {
    const SiteFile* page = find_file(site, std::string(path));
    EXPECT_NE(page, nullptr) << site << path;
    if (page == nullptr) {
        return {};
    }
    const auto url = http::parse_url("http://" + std::string(site) + std::string(path));
    return http::extract_html_refs(page->text, *url).refs;
}

TEST(SiteFiles, TheCourseSitesAreEmbedded) {
    EXPECT_EQ(site_names(),
              (std::vector<std::string>{"cis.poly.edu", "ftp.hamburger.edu", "gaia.cs.umass.edu",
                                        "www.hamburger.edu", "www.networkutopia.com"}));
    EXPECT_TRUE(has_site("www.hamburger.edu"));
    EXPECT_FALSE(has_site("www.hamburger"));
    EXPECT_FALSE(has_site(""));
    for (const std::string& site : site_names()) {
        if (site.starts_with("ftp.")) {
            continue;  // the FTP server's files, not a web site
        }
        EXPECT_NE(find_file(site, "/"), nullptr) << site << " has no index.html";
    }
    ASSERT_NE(find_file("gaia.cs.umass.edu", "/kurose_ross/"), nullptr);
    EXPECT_NE(find_file("gaia.cs.umass.edu", "/kurose_ross/conditional_get.html"), nullptr);
}

// The course's example: a base HTML file and ten referenced objects, here a stylesheet, a
// script and eight images, every one of them on the same server.
TEST(SiteFiles, HamburgerPageReferencesTenEmbeddedObjects) {
    const auto refs = refs_of("www.hamburger.edu", "/");
    ASSERT_EQ(refs.size(), 10u);
    std::map<std::string, int> elements;
    for (const http::HtmlRef& r : refs) {
        ++elements[r.element];
        EXPECT_TRUE(r.same_origin) << r.url.to_string();
    }
    EXPECT_EQ(elements, (std::map<std::string, int>{{"img", 8}, {"link", 1}, {"script", 1}}));
}

// No page of any site references an object that is not there (a 404 in a browser).
TEST(SiteFiles, EverySameOriginReferenceIsEmbedded) {
    for (const SiteFile& f : site_files()) {
        if (!std::string_view(f.path).ends_with(".html")) {
            continue;
        }
        for (const http::HtmlRef& r : refs_of(f.site, "/" + std::string(f.path))) {
            if (r.same_origin) {
                EXPECT_NE(find_file(f.site, r.url.target), nullptr)
                    << f.site << "/" << f.path << " references " << r.url.target;
            }
        }
    }
}

TEST(SiteFiles, WriteSiteWritesEveryFileAsEmbedded) {
    const fs::path dir =
        fs::path(testing::TempDir()) / ("l7-site-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    write_site("gaia.cs.umass.edu", dir);
    std::size_t files = 0;
    for (const SiteFile& f : site_files()) {
        if (f.site != "gaia.cs.umass.edu") {
            continue;
        }
        std::ifstream in(dir / f.path, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        EXPECT_EQ(text.str(), f.text) << f.path;
        ++files;
    }
    std::size_t on_disk = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        on_disk += entry.is_regular_file() ? 1 : 0;
    }
    EXPECT_EQ(on_disk, files);
    EXPECT_GE(files, 5u);
    fs::remove_all(dir);
}

TEST(StateDir, FollowsXdgRuntimeDir) {
    const char* old = std::getenv("XDG_RUNTIME_DIR");
    const std::string saved = old != nullptr ? old : "";
    ::setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
    EXPECT_EQ(default_state_dir(), fs::path("/run/user/4242/l7-lab"));
    ::unsetenv("XDG_RUNTIME_DIR");
    EXPECT_EQ(default_state_dir(), fs::path("/tmp/l7-lab-" + std::to_string(::getuid())));
    if (old != nullptr) {
        ::setenv("XDG_RUNTIME_DIR", saved.c_str(), 1);
    }
}

// --- the http kind's settings ---------------------------------------------------------------

// The message `validate` throws for one [[host.service]] of kind http; "" if it accepts it.
std::string http_error(const std::string& service) {
    const config::Table root = config::Table::parse(service, "lab.toml");
    try {
        find_service_kind("http")->validate(*root.get_table("service"));
    } catch (const config::ConfigError& e) {
        return e.what();
    }
    return "";
}

const char* const kGood = R"([service]
kind = "http"
port = 80
access_link = { delay = "40ms", rate = "10mbit" }
  [[service.site]]
  names = ["www.hamburger.edu", "Hamburger.EDU."]
  content = "www.hamburger.edu"
  listing = true
  [[service.site]]
  names = ["shop.networkutopia.com"]
  app = "shop"
)";

TEST(HttpService, AcceptsSitesAppsAndAnAccessLink) {
    ASSERT_NE(find_service_kind("http"), nullptr);
    EXPECT_EQ(http_error(kGood), "");
    EXPECT_EQ(
        http_error("[service]\nkind = \"http\"\nport = 80\n[[service.site]]\n"
                   "names = [\"cis.poly.edu\", \"*.poly.edu\"]\ncontent = \"cis.poly.edu\"\n"),
        "");
}

TEST(HttpService, RefusesBadSettingsNamingTheKey) {
    const std::string head = "[service]\nkind = \"http\"\nport = 80\n";
    const std::string site = "[[service.site]]\nnames = [\"a.example\"]\n";
    const std::map<std::string, std::vector<std::string>> cases = {
        {head, {"site", "at least one"}},
        {head + "colour = 1\n" + site + "content = \"cis.poly.edu\"\n", {"colour"}},
        {head + site, {"content", "cis.poly.edu, gaia.cs.umass.edu"}},
        {head + site + "content = \"www.example.com\"\n",
         {"content", "'www.example.com' is not an embedded site"}},
        {head + site + "app = \"blog\"\n", {"app", "'blog'"}},
        {head + "[[service.site]]\ncontent = \"cis.poly.edu\"\n", {"names", "at least one name"}},
        {head + "[[service.site]]\nnames = [\"bad name\"]\ncontent = \"cis.poly.edu\"\n",
         {"names", "'bad name' is not a host name"}},
        {head + "[[service.site]]\nnames = [\"a..b\"]\ncontent = \"cis.poly.edu\"\n",
         {"names", "is not a host name"}},
        {head + site + "content = \"cis.poly.edu\"\n" + site + "content = \"cis.poly.edu\"\n",
         {"names", "'a.example' belongs to another site"}},
        {head + site + "content = \"cis.poly.edu\"\nport = 8\n", {"port"}},
        {head + "access_link = { rate = \"fast\" }\n" + site + "content = \"cis.poly.edu\"\n",
         {"rate", "fast"}},
        {head + "access_link = { delay = \"1h\" }\n" + site + "content = \"cis.poly.edu\"\n",
         {"delay", "10s"}},
        {head + "access_link = { loss = 0.1 }\n" + site + "content = \"cis.poly.edu\"\n", {"loss"}},
    };
    for (const auto& [text, words] : cases) {
        const std::string error = http_error(text);
        EXPECT_NE(error.find("lab.toml:"), std::string::npos) << text << "\n" << error;
        for (const std::string& word : words) {
            EXPECT_NE(error.find(word), std::string::npos) << text << "\n" << error;
        }
    }
}

// The default lab's web servers: which sites each holds, and which sit behind a slow link.
TEST(HttpService, DefaultTopologyServesTheCourseSites) {
    const Topology topo = load_topology(std::nullopt);
    std::map<std::string, std::vector<std::string>> sites;  // host -> first names of its sites
    std::set<std::string> linked;
    std::set<std::string> contents;
    for (const Host& h : topo.hosts) {
        for (const Service& s : h.services) {
            if (s.kind == "ftp") {
                contents.insert(*s.settings.get_string("content"));
            }
            if (s.kind != "http") {
                continue;
            }
            EXPECT_EQ(s.port, 80) << h.name;
            if (s.settings.has("access_link")) {
                linked.insert(h.name);
            }
            for (const config::Table& site : s.settings.get_tables("site")) {
                sites[h.name].push_back(site.get_strings("names").front());
                if (auto content = site.get_string("content")) {
                    contents.insert(*content);
                }
            }
        }
    }
    EXPECT_EQ(sites, (std::map<std::string, std::vector<std::string>>{
                         {"gaia.cs.umass.edu", {"gaia.cs.umass.edu"}},
                         {"hamburger.edu", {"www.hamburger.edu"}},
                         {"networkutopia.com", {"www.networkutopia.com", "shop.networkutopia.com"}},
                         {"cis.poly.edu", {"cis.poly.edu"}}}));
    EXPECT_EQ(linked, (std::set<std::string>{"gaia.cs.umass.edu", "hamburger.edu"}));
    const auto names = site_names();
    EXPECT_EQ(contents, std::set<std::string>(names.begin(), names.end()));
}

}  // namespace
}  // namespace l7::lab
