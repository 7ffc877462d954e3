// Virtual hosts, redirects, error pages, listings and gzip on the fly, without sockets:
// requests built in memory, files in a temporary directory.
#include "http/asio/virtual_host.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "http/gzip.hpp"

namespace l7::http {
namespace {

namespace fs = std::filesystem;

Request get(std::string target, std::string host, std::string accept_encoding = {}) {
    Request r;
    r.method = "GET";
    r.target = std::move(target);
    r.fields.add("Host", std::move(host));
    if (!accept_encoding.empty()) {
        r.fields.add("Accept-Encoding", std::move(accept_encoding));
    }
    return r;
}

std::string body_text(const Reply& reply) {
    std::string text;
    for (const BodyPart& p : reply.body) {
        EXPECT_FALSE(p.file) << "expected an in-memory body";
        text += p.memory();
    }
    return text;
}

class VirtualHostTest : public ::testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() /
                ("l7-vhost-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        for (const char* dir : {"a", "b", "b/docs", "b/docs/sub"}) {
            fs::create_directories(base_ / dir);
        }
        std::ofstream(base_ / "a/index.html") << "site A";
        std::ofstream(base_ / "b/index.html") << "site B";
        std::ofstream(base_ / "b/docs/notes.txt") << std::string(4000, 'n');
        std::ofstream(base_ / "b/docs/.secret") << "hidden";
        std::ofstream(base_ / "b/photo.jpg") << std::string(4000, 'j');
        std::ofstream(base_ / "b/404.html") << "<h1>not here, sorry</h1>";
    }
    void TearDown() override { fs::remove_all(base_); }

    HostConfig host(std::vector<std::string> names, const char* root) {
        HostConfig h;
        h.names = std::move(names);
        h.root = base_ / root;
        return h;
    }

    fs::path base_;
    Peer peer_{"127.0.0.1:40000"};
};

TEST_F(VirtualHostTest, HostHeaderChoosesTheSiteAndUnknownNamesGoToTheDefault) {
    ServerConfig config;
    config.hosts.push_back(host({"a.test"}, "a"));
    config.hosts.push_back(host({"b.test", "*.b.test"}, "b"));
    config.hosts[1].is_default = true;
    const auto hosts = build_virtual_hosts(config, {});
    const auto text_of = [&](Request r) {
        Reply reply = hosts->handle(r, "", peer_);
        EXPECT_EQ(reply.response.status, 200);
        std::string text;
        for (const BodyPart& p : reply.body) {
            if (p.file) {
                std::string chunk(p.file->length, '\0');
                EXPECT_EQ(::pread(*p.file->fd, chunk.data(), chunk.size(),
                                  static_cast<off_t>(p.file->offset)),
                          static_cast<ssize_t>(chunk.size()));
                text += chunk;
            } else {
                text += p.memory();
            }
        }
        return text;
    };
    EXPECT_EQ(text_of(get("/", "a.test")), "site A");
    EXPECT_EQ(text_of(get("/", "A.TEST.:8080")), "site A");
    EXPECT_EQ(text_of(get("/", "www.b.test")), "site B");
    EXPECT_EQ(text_of(get("/", "unknown.test")), "site B");
    EXPECT_EQ(text_of(get("/", "127.0.0.1:8080")), "site B");
    // RFC 9112 3.2.2: an absolute-form target's authority wins over Host.
    EXPECT_EQ(text_of(get("http://a.test/", "b.test")), "site A");
}

TEST_F(VirtualHostTest, RedirectsExactAndPrefixKeepTheRestAndTheQuery) {
    HostConfig h = host({"b.test"}, "b");
    h.redirects.push_back({"/old/*", "/docs/*", 301});
    h.redirects.push_back({"/moved", "http://a.test/there", 307});
    const VirtualHost vhost(h);
    Reply r = vhost.handle(get("/old/sub/x%20y.txt?v=1", "b.test"), "", peer_);
    EXPECT_EQ(r.response.status, 301);
    EXPECT_EQ(r.response.fields.get("Location"), "/docs/sub/x%20y.txt?v=1");
    r = vhost.handle(get("/moved", "b.test"), "", peer_);
    EXPECT_EQ(r.response.status, 307);
    EXPECT_EQ(r.response.fields.get("Location"), "http://a.test/there");
    EXPECT_EQ(vhost.handle(get("/moved/not", "b.test"), "", peer_).response.status, 404);
}

TEST_F(VirtualHostTest, ErrorPageReplacesTheBodyOfItsStatusOnly) {
    HostConfig h = host({"b.test"}, "b");
    h.error_pages.push_back({404, base_ / "b/404.html"});
    const VirtualHost vhost(h);
    const Reply missing = vhost.handle(get("/nothing", "b.test"), "", peer_);
    EXPECT_EQ(missing.response.status, 404);
    EXPECT_EQ(body_text(missing), "<h1>not here, sorry</h1>");
    const Reply forbidden = vhost.handle(get("/docs/", "b.test"), "", peer_);
    EXPECT_EQ(forbidden.response.status, 403);  // no listing, and no page of its own
    EXPECT_NE(body_text(forbidden).find("403"), std::string::npos);
}

TEST_F(VirtualHostTest, ListingShowsEntriesButNotDotfiles) {
    HostConfig h = host({"b.test"}, "b");
    h.listing = true;
    const VirtualHost vhost(h);
    const Reply r = vhost.handle(get("/docs/", "b.test"), "", peer_);
    ASSERT_EQ(r.response.status, 200);
    EXPECT_EQ(r.response.fields.get("Content-Type"), "text/html; charset=utf-8");
    const std::string html = body_text(r);
    EXPECT_NE(html.find("notes.txt"), std::string::npos);
    EXPECT_NE(html.find("sub/"), std::string::npos);
    EXPECT_EQ(html.find(".secret"), std::string::npos);
}

TEST_F(VirtualHostTest, TextIsGzippedOnTheFlyWithItsOwnEtagAndVary) {
    const VirtualHost vhost(host({"b.test"}, "b"));
    const Reply plain = vhost.handle(get("/docs/notes.txt", "b.test"), "", peer_);
    ASSERT_EQ(plain.response.status, 200);
    EXPECT_FALSE(plain.response.fields.get("Content-Encoding"));
    EXPECT_EQ(plain.response.fields.get("Vary"), "Accept-Encoding");

    const Reply zipped = vhost.handle(get("/docs/notes.txt", "b.test", "gzip, br"), "", peer_);
    ASSERT_EQ(zipped.response.status, 200);
    EXPECT_EQ(zipped.response.fields.get("Content-Encoding"), "gzip");
    EXPECT_EQ(zipped.response.fields.get("Vary"), "Accept-Encoding");
    const std::string etag(*zipped.response.fields.get("ETag"));
    EXPECT_NE(etag, *plain.response.fields.get("ETag"));
    const auto decoded = gzip_decompress(body_text(zipped), 1 << 20);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, std::string(4000, 'n'));

    // Revalidating the gzip representation with its own ETag gives 304.
    Request again = get("/docs/notes.txt", "b.test", "gzip");
    again.fields.add("If-None-Match", etag);
    EXPECT_EQ(vhost.handle(again, "", peer_).response.status, 304);

    // Images are not compressed; ranges stay on the identity representation.
    const Reply jpg = vhost.handle(get("/photo.jpg", "b.test", "gzip"), "", peer_);
    EXPECT_FALSE(jpg.response.fields.get("Content-Encoding"));
    EXPECT_FALSE(jpg.response.fields.get("Vary"));
    Request range = get("/docs/notes.txt", "b.test", "gzip");
    range.fields.add("Range", "bytes=0-9");
    const Reply part = vhost.handle(range, "", peer_);
    EXPECT_EQ(part.response.status, 206);
    EXPECT_FALSE(part.response.fields.get("Content-Encoding"));
}

TEST_F(VirtualHostTest, SymlinksMayPointInsideTheRootButNotOut) {
    fs::create_symlink(base_ / "b/docs/notes.txt", base_ / "b/absolute-inside.txt");
    fs::create_symlink("docs/notes.txt", base_ / "b/relative-inside.txt");
    fs::create_symlink(base_ / "a/index.html", base_ / "b/absolute-out.html");
    fs::create_symlink("../a", base_ / "b/relative-out");
    const VirtualHost vhost(host({"b.test"}, "b"));
    const auto status = [&](const char* path) {
        return vhost.handle(get(path, "b.test"), "", peer_).response.status;
    };
    EXPECT_EQ(status("/absolute-inside.txt"), 200);
    EXPECT_EQ(status("/relative-inside.txt"), 200);
    EXPECT_EQ(status("/absolute-out.html"), 403);
    EXPECT_EQ(status("/relative-out/index.html"), 403);
    EXPECT_EQ(status("/relative-out/"), 403);
    EXPECT_EQ(status("/docs/notes.txt/"), 404);  // a file is no directory

    HostConfig open = host({"b.test"}, "b");
    open.follow_symlinks = true;
    const VirtualHost follows(open);
    EXPECT_EQ(follows.handle(get("/absolute-out.html", "b.test"), "", peer_).response.status, 200);
}

TEST_F(VirtualHostTest, GzipOffSendsIdentity) {
    HostConfig h = host({"b.test"}, "b");
    h.gzip = false;
    const VirtualHost vhost(h);
    const Reply r = vhost.handle(get("/docs/notes.txt", "b.test", "gzip"), "", peer_);
    EXPECT_FALSE(r.response.fields.get("Content-Encoding"));
    EXPECT_FALSE(r.response.fields.get("Vary"));
}

TEST_F(VirtualHostTest, RoutesComeBeforeFilesAndAnswer405WithAllow) {
    VirtualHost vhost(host({"b.test"}, "b"));
    vhost.routes().add("POST", "/index.html", [](const RouteRequest& r) {
        Reply reply;
        reply.response.status = 200;
        reply.body.push_back({"posted " + r.body, std::nullopt});
        return reply;
    });
    Request post = get("/index.html", "b.test");
    post.method = "POST";
    const Reply posted = vhost.handle(post, "x=1", peer_);
    EXPECT_EQ(body_text(posted), "posted x=1");
    const Reply refused = vhost.handle(get("/index.html", "b.test"), "", peer_);
    EXPECT_EQ(refused.response.status, 405);
    EXPECT_EQ(refused.response.fields.get("Allow"), "POST, OPTIONS");
}

TEST_F(VirtualHostTest, ValidatorsFollowTheFileServed) {
    ServerConfig config;
    config.hosts.push_back(host({"b.test"}, "b"));
    const auto hosts = build_virtual_hosts(config, {});
    const auto validators = [&](const char* target) {
        Reply reply = hosts->handle(get(target, "b.test"), "", peer_);
        EXPECT_EQ(reply.response.status, 200) << target;
        return std::string(reply.response.fields.get("ETag").value_or("")) + " | " +
               std::string(reply.response.fields.get("Last-Modified").value_or(""));
    };
    const std::string photo = validators("/photo.jpg");
    const std::string notes = validators("/docs/notes.txt");
    EXPECT_NE(photo, notes);  // same size, other file: another ETag
    EXPECT_EQ(validators("/photo.jpg"), photo);

    // Rewritten with another size and an older time: both validators move with it.
    std::ofstream(base_ / "b/photo.jpg") << std::string(10, 'k');
    fs::last_write_time(base_ / "b/photo.jpg",
                        fs::file_time_type::clock::now() - std::chrono::hours(48));
    const std::string rewritten = validators("/photo.jpg");
    EXPECT_NE(rewritten, photo);
    EXPECT_NE(rewritten.substr(rewritten.find('|')), photo.substr(photo.find('|')));
}

}  // namespace
}  // namespace l7::http
