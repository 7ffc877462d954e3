// WriteArea (http/asio/write_area.hpp) on a temporary document root, without sockets:
// credentials (401 and its challenge), PUT creating (201, Location) and replacing (204) with
// the exact bytes and no temporary left, the static site's ETag for If-Match and
// If-None-Match (412), DELETE (204, 404), and every path the static site refuses: no
// directory created (409), directories (405), dotfiles (404), climbing (400) and symlinks
// out of the root (403).

#include "http/asio/write_area.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "http/asio/static_site.hpp"
#include "http/basic_auth.hpp"

namespace l7::http {
namespace {

namespace fs = std::filesystem;

// crypt(3) of "s3cret pass", bcrypt cost 4 (fast), and `htpasswd -nbB alice 'wonder land'`.
constexpr std::string_view kUsers =
    "# uploaders\n"
    "uploader:$2b$04$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv.\n"
    "alice:$2y$05$tiFuaxNv/rgfkCHUiwehu.cdmy1ubkd.4yXGJxtaSpYeHtt3Jhhqa\n";

class WriteAreaTest : public ::testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() /
                ("l7-write-area-test-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(base_);
        root_ = base_ / "root";
        fs::create_directories(root_ / "upload" / "sub");
        fs::create_directories(base_ / "outside");
        write(base_ / "outside" / "secret.txt", "outside");
        write(root_ / "index.html", "home");
        auto users = PasswordFile::from_text(kUsers, "uploaders");
        ASSERT_TRUE(users) << users.error().message;
        area_ = std::make_unique<WriteArea>(WriteAreaOptions{
            .root = root_, .prefix = "/upload", .realm = "Uploads", .users = *users});
    }
    void TearDown() override { fs::remove_all(base_); }

    static void write(const fs::path& p, const std::string& data) {
        std::ofstream(p, std::ios::binary) << data;
    }
    static std::string read(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    // Every name in the upload directories, hidden ones included.
    std::size_t count_entries(const fs::path& dir) const {
        std::size_t n = 0;
        for (const auto& e : fs::directory_iterator(dir)) {
            (void)e;
            ++n;
        }
        return n;
    }

    static Request request(std::string method, std::string target,
                           std::string_view authorization = {}) {
        Request r;
        r.method = std::move(method);
        r.target = std::move(target);
        if (!authorization.empty()) {
            r.fields.add("Authorization", std::string(authorization));
        }
        return r;
    }
    static std::string good() { return basic_authorization("uploader", "s3cret pass"); }

    Reply put(const std::string& target, const std::string& body,
              std::initializer_list<Field> fields = {}) {
        Request r = request("PUT", target, good());
        for (const Field& f : fields) {
            r.fields.add(f.name, f.value);
        }
        return area_->handle(r, body, peer_);
    }
    Reply del(const std::string& target, std::initializer_list<Field> fields = {}) {
        Request r = request("DELETE", target, good());
        for (const Field& f : fields) {
            r.fields.add(f.name, f.value);
        }
        return area_->handle(r, {}, peer_);
    }
    static std::string field(const Reply& r, std::string_view name) {
        return std::string(r.response.fields.get(name).value_or(""));
    }

    fs::path base_;
    fs::path root_;
    std::unique_ptr<WriteArea> area_;
    Peer peer_{"127.0.0.1:40000"};
};

TEST_F(WriteAreaTest, CoversItsPrefixAndAcceptsWritesOnly) {
    EXPECT_EQ(area_->prefix(), "/upload/");
    EXPECT_TRUE(area_->covers("/upload"));
    EXPECT_TRUE(area_->covers("/upload/"));
    EXPECT_TRUE(area_->covers("/upload/a/b.txt"));
    EXPECT_FALSE(area_->covers("/uploads"));
    EXPECT_FALSE(area_->covers("/uploads/a"));
    EXPECT_FALSE(area_->covers("/"));
    EXPECT_FALSE(area_->covers("/index.html"));
    EXPECT_TRUE(area_->accepts(request("PUT", "/upload/a.txt")));
    EXPECT_TRUE(area_->accepts(request("DELETE", "/upload/%61.txt?x")));
    EXPECT_TRUE(area_->accepts(request("OPTIONS", "/upload/")));
    EXPECT_FALSE(area_->accepts(request("GET", "/upload/a.txt")));
    EXPECT_FALSE(area_->accepts(request("HEAD", "/upload/a.txt")));
    EXPECT_FALSE(area_->accepts(request("POST", "/upload/a.txt")));
    EXPECT_FALSE(area_->accepts(request("PUT", "/index.html")));
    EXPECT_FALSE(area_->accepts(request("PUT", "/upload/../index.html")));  // that is /index.html
    EXPECT_FALSE(area_->accepts(request("PUT", "/upload/a%2Fb")));  // 400 from the static site

    const auto users = PasswordFile::from_text("", "none");
    ASSERT_TRUE(users);
    const WriteArea everything({.root = root_, .prefix = "", .realm = "r", .users = *users});
    EXPECT_EQ(everything.prefix(), "/");
    EXPECT_TRUE(everything.covers("/"));
    EXPECT_TRUE(everything.covers("/index.html"));
}

TEST_F(WriteAreaTest, CredentialsAreRequiredAndChecked) {
    const std::string bad_password = basic_authorization("uploader", "s3cret pasS");
    const std::string unknown = basic_authorization("mallory", "wonder land");
    const std::string other_users = basic_authorization("uploader", "wonder land");
    for (const std::string& auth : {std::string(), bad_password, unknown, other_users,
                                    std::string("Basic !!!!"), std::string("Bearer abc")}) {
        for (const char* method : {"PUT", "DELETE"}) {
            const Reply r = area_->handle(request(method, "/upload/a.txt", auth), "data", peer_);
            EXPECT_EQ(r.response.status, 401) << method << " " << auth;
            EXPECT_EQ(field(r, "WWW-Authenticate"), "Basic realm=\"Uploads\", charset=\"UTF-8\"");
        }
    }
    EXPECT_FALSE(fs::exists(root_ / "upload" / "a.txt"));
    EXPECT_EQ(count_entries(root_ / "upload"), 1u);  // only sub/
    // Before anything about the path is told: a missing parent is still a 401.
    EXPECT_EQ(area_->handle(request("PUT", "/upload/none/a.txt"), "x", peer_).response.status, 401);
    // Another user of the file.
    const Reply alice = area_->handle(
        request("PUT", "/upload/alice.txt", basic_authorization("alice", "wonder land")), "a",
        peer_);
    EXPECT_EQ(alice.response.status, 201);
}

TEST_F(WriteAreaTest, PutCreatesThenReplacesWithTheExactBytes) {
    std::string body = "line 1\r\nline 2\n";
    body += std::string("\0\xFF\x80 binary", 10);
    const Reply created = put("/upload/sub/notes%20today.txt", body);
    EXPECT_EQ(created.response.status, 201);
    EXPECT_EQ(field(created, "Location"), "/upload/sub/notes%20today.txt");
    const fs::path file = root_ / "upload" / "sub" / "notes today.txt";
    EXPECT_EQ(read(file), body);
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    EXPECT_EQ(count_entries(root_ / "upload" / "sub"), 1u);  // no temporary file left

    ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
    const Reply replaced = put("/upload/sub/notes%20today.txt", "v2");
    EXPECT_EQ(replaced.response.status, 204);
    EXPECT_TRUE(replaced.body.empty());
    EXPECT_EQ(read(file), "v2");
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);  // a replaced file keeps its permissions
    EXPECT_EQ(count_entries(root_ / "upload" / "sub"), 1u);

    EXPECT_EQ(put("/upload/empty", "").response.status, 201);
    EXPECT_EQ(read(root_ / "upload" / "empty"), "");
}

TEST_F(WriteAreaTest, ValidatorsAreTheStaticSitesOnes) {
    ASSERT_EQ(put("/upload/page.html", "one").response.status, 201);
    SiteOptions site_options;
    site_options.root = root_;
    const StaticSite site(site_options);
    const Reply get = site.handle(request("GET", "/upload/page.html"));
    ASSERT_EQ(get.response.status, 200);
    const std::string etag = field(get, "ETag");
    ASSERT_FALSE(etag.empty());

    EXPECT_EQ(put("/upload/page.html", "x", {{"If-None-Match", "*"}}).response.status, 412);
    EXPECT_EQ(put("/upload/page.html", "x", {{"If-Match", "\"stale\""}}).response.status, 412);
    EXPECT_EQ(read(root_ / "upload" / "page.html"), "one");

    const Reply two = put("/upload/page.html", "two", {{"If-Match", etag}});
    EXPECT_EQ(two.response.status, 204);
    EXPECT_NE(field(two, "ETag"), etag);
    // The ETag a PUT answers is the one a GET then sends.
    EXPECT_EQ(field(two, "ETag"), field(site.handle(request("GET", "/upload/page.html")), "ETag"));
    EXPECT_EQ(put("/upload/page.html", "three", {{"If-Match", etag}}).response.status, 412);
    EXPECT_EQ(read(root_ / "upload" / "page.html"), "two");

    // A missing file: If-None-Match: * creates, If-Match fails.
    EXPECT_EQ(put("/upload/new.txt", "n", {{"If-Match", "*"}}).response.status, 412);
    EXPECT_FALSE(fs::exists(root_ / "upload" / "new.txt"));
    EXPECT_EQ(put("/upload/new.txt", "n", {{"If-None-Match", "*"}}).response.status, 201);

    // DELETE honours them too.
    EXPECT_EQ(del("/upload/page.html", {{"If-Match", etag}}).response.status, 412);
    EXPECT_TRUE(fs::exists(root_ / "upload" / "page.html"));
}

TEST_F(WriteAreaTest, DeleteRemovesOrAnswers404) {
    write(root_ / "upload" / "old.txt", "old");
    EXPECT_EQ(del("/upload/old.txt").response.status, 204);
    EXPECT_FALSE(fs::exists(root_ / "upload" / "old.txt"));
    EXPECT_EQ(del("/upload/old.txt").response.status, 404);
    EXPECT_EQ(del("/upload/none/old.txt").response.status, 409);
}

TEST_F(WriteAreaTest, NoDirectoryIsCreatedOrWrittenOrDeleted) {
    const Reply missing = put("/upload/new/dir/a.txt", "x");
    EXPECT_EQ(missing.response.status, 409);
    EXPECT_FALSE(fs::exists(root_ / "upload" / "new"));
    write(root_ / "upload" / "file", "f");
    EXPECT_EQ(put("/upload/file/a.txt", "x").response.status, 409);
    for (const char* target : {"/upload/sub", "/upload/sub/", "/upload", "/upload/"}) {
        const Reply p = put(target, "x");
        EXPECT_EQ(p.response.status, 405) << target;
        EXPECT_EQ(field(p, "Allow"), "GET, HEAD, OPTIONS");
        EXPECT_EQ(del(target).response.status, 405) << target;
    }
    EXPECT_TRUE(fs::is_directory(root_ / "upload" / "sub"));
}

TEST_F(WriteAreaTest, PathsTheStaticSiteRefusesAreRefused) {
    EXPECT_EQ(put("/upload/.htpasswd", "x").response.status, 404);
    EXPECT_EQ(put("/upload/.git/config", "x").response.status, 404);
    EXPECT_EQ(put("/upload/%2e%2e/%2e%2e/escape", "x").response.status, 400);
    EXPECT_EQ(put("/upload/a%2Fb", "x").response.status, 400);
    EXPECT_EQ(put("/upload/a%00b", "x").response.status, 400);
    EXPECT_EQ(put("/upload/a.txt", "x", {{"Content-Range", "bytes 0-0/1"}}).response.status, 400);
    EXPECT_EQ(count_entries(root_ / "upload"), 1u);
    EXPECT_FALSE(fs::exists(base_ / "escape"));
}

TEST_F(WriteAreaTest, SymlinksOutOfTheRootAreRefused) {
    fs::create_directory_symlink(base_ / "outside", root_ / "upload" / "out");
    fs::create_symlink(base_ / "outside" / "secret.txt", root_ / "upload" / "secret.txt");
    EXPECT_EQ(put("/upload/out/new.txt", "x").response.status, 403);
    EXPECT_EQ(put("/upload/out/secret.txt", "x").response.status, 403);
    EXPECT_EQ(put("/upload/secret.txt", "x").response.status, 403);
    EXPECT_EQ(del("/upload/secret.txt").response.status, 403);
    EXPECT_EQ(del("/upload/out/secret.txt").response.status, 403);
    EXPECT_EQ(read(base_ / "outside" / "secret.txt"), "outside");
    EXPECT_EQ(count_entries(base_ / "outside"), 1u);
    EXPECT_TRUE(fs::is_symlink(root_ / "upload" / "secret.txt"));

    // A symlink inside the root: a PUT writes the file it names, a DELETE removes the link.
    write(root_ / "upload" / "real.txt", "real");
    fs::create_symlink("real.txt", root_ / "upload" / "alias.txt");
    EXPECT_EQ(put("/upload/alias.txt", "via alias").response.status, 204);
    EXPECT_EQ(read(root_ / "upload" / "real.txt"), "via alias");
    EXPECT_TRUE(fs::is_symlink(root_ / "upload" / "alias.txt"));
    EXPECT_EQ(del("/upload/alias.txt").response.status, 204);
    EXPECT_FALSE(fs::exists(fs::symlink_status(root_ / "upload" / "alias.txt")));
    EXPECT_EQ(read(root_ / "upload" / "real.txt"), "via alias");
}

TEST_F(WriteAreaTest, OptionsAndOtherMethods) {
    const Reply options = area_->handle(request("OPTIONS", "/upload/x"), {}, peer_);
    EXPECT_EQ(options.response.status, 204);
    EXPECT_EQ(field(options, "Allow"), "GET, HEAD, OPTIONS, PUT, DELETE");
    const Reply post = area_->handle(request("POST", "/upload/x", good()), "x", peer_);
    EXPECT_EQ(post.response.status, 405);
    EXPECT_EQ(area_->handle(request("PUT", "/index.html", good()), "x", peer_).response.status,
              404);
    EXPECT_EQ(read(root_ / "index.html"), "home");
}

TEST(WriteAreaOptions, APasswordFileIsRequired) {
    EXPECT_THROW(WriteArea({.root = "/tmp", .prefix = "/", .realm = "r", .users = nullptr}),
                 std::invalid_argument);
}

}  // namespace
}  // namespace l7::http
