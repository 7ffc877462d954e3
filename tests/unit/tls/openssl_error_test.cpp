// last_openssl_error(): the queue becomes one line, wrapper reasons are dropped, and the
// queue is empty afterwards (a stale entry must not be blamed for the next failure).

#include "tls/openssl_error.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>

namespace l7::tls {
namespace {

TEST(OpensslError, EmptyQueueSaysUnknown) {
    ERR_clear_error();
    EXPECT_EQ(last_openssl_error(), "unknown TLS error");
}

TEST(OpensslError, MissingFileReadsAsTheSystemErrorAndDrainsTheQueue) {
    ERR_clear_error();
    BIO* bio = BIO_new_file("/nonexistent-l7-dir/file.pem", "r");
    ASSERT_EQ(bio, nullptr);
    EXPECT_EQ(last_openssl_error(), "No such file or directory");
    EXPECT_EQ(ERR_peek_error(), 0u);
    EXPECT_EQ(last_openssl_error(), "unknown TLS error");
}

TEST(OpensslError, ReasonOfAParseFailure) {
    ERR_clear_error();
    static const char junk[] = "not pem\n";
    BIO* bio = BIO_new_mem_buf(junk, sizeof junk - 1);
    ASSERT_NE(bio, nullptr);
    EXPECT_EQ(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr), nullptr);
    BIO_free(bio);
    EXPECT_EQ(last_openssl_error(), "no start line");
}

}  // namespace
}  // namespace l7::tls
